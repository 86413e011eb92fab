import Foundation
import Git
import ReconcilerTesting
import Testing

/// Crafted trees (written with `git hash-object --literally`, which skips git's own name checks) whose entries
/// would write outside the work tree or into `.git`: each is named by path.
@Suite struct TreePathTests {
    private struct Entry {
        var mode: String
        var name: [UInt8]
        var sha: String
        static func blob(_ name: String, _ sha: String) -> Entry {
            Entry(mode: "100644", name: Array(name.utf8), sha: sha)
        }
        static func tree(_ name: String, _ sha: String) -> Entry {
            Entry(mode: "40000", name: Array(name.utf8), sha: sha)
        }
    }

    /// Writes a tree object with exactly `entries` into `repo`'s object store and returns its sha.
    private func tree(_ entries: [Entry], in repo: String) throws -> String {
        var data = Data()
        for entry in entries {
            data.append(contentsOf: Array("\(entry.mode) ".utf8) + entry.name + [0])
            var sha = entry.sha[...]
            while !sha.isEmpty {
                data.append(UInt8(sha.prefix(2), radix: 16)!)
                sha = sha.dropFirst(2)
            }
        }
        let file = "\(repo)/.git/crafted-tree"
        try data.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try GitFixture.git(["hash-object", "-t", "tree", "--literally", "-w", file], in: repo)
    }

    private func blob(_ content: String, in repo: String) throws -> String {
        try Command.check(
            ["git", "hash-object", "-w", "--stdin"],
            in: repo,
            environment: GitFixture.environment,
            input: content
        ).trimmingCharacters(in: .newlines)
    }

    private func commit(_ tree: String, in repo: String) throws -> ObjectID {
        ObjectID(hex: try GitFixture.git(["commit-tree", tree, "-m", "crafted"], in: repo))
    }

    /// `nixos/../../x`: the tree libgit2 happily lists, and validation used to write outside its scratch dir.
    @Test func dotDotAtDepthIsNamed() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = fixture.clone
        let x = try blob("pwned\n", in: repo)
        let inner = try tree([.blob("x", x)], in: repo)
        let up1 = try tree([.tree("..", inner)], in: repo)
        let nixos = try tree([.tree("..", up1), .blob("configuration.nix", x)], in: repo)
        let root = try tree([.tree("nixos", nixos)], in: repo)
        let commit = try commit(root, in: repo)

        let repository = try Repository(at: repo)
        // What libgit2 lists (and what a materialiser would write) without the check:
        #expect(try repository.treeEntries(at: commit).map(\.path).contains("nixos/../../x"))
        let problems = try repository.unsafeTreePaths(at: commit)
        #expect(problems == [TreePathProblem(path: "nixos/..", reason: .dotDot)])
        #expect(problems.map(\.description) == ["nixos/..: an entry named \"..\" would write outside its directory"])
    }

    @Test(arguments: [
        (".git", TreePathProblem.Reason.dotGit), (".GIT", .dotGit), (".Git", .dotGit), (".", .dot),
        ("..", .dotDot), ("a/b", .slash), ("bad\u{1B}]0;owned\u{07}", .controlCharacter),
        ("tab\there", .controlCharacter),
        ("del\u{7F}", .controlCharacter),
    ])
    func unsafeNameIsNamed(name: String, reason: TreePathProblem.Reason) throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = fixture.clone
        let x = try blob("content\n", in: repo)
        let services = try tree([.blob("compose.yml", x), .blob(name, x)], in: repo)
        let root = try tree([.tree("services", services)], in: repo)
        let problems = try Repository(at: repo).unsafeTreePaths(at: try commit(root, in: repo))
        #expect(problems.map(\.reason) == [reason])
        let path = try #require(problems.first?.path)
        #expect(path.hasPrefix("services/"))
        // Safe to print: no control character survives.
        #expect(!path.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }

    @Test func controlCharacterIsShownEscaped() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = fixture.clone
        let x = try blob("content\n", in: repo)
        let root = try tree([.blob("a\u{1B}]0;t\u{07}b", x)], in: repo)
        let problems = try Repository(at: repo).unsafeTreePaths(at: try commit(root, in: repo))
        #expect(problems.map(\.path) == ["a\\x1B]0;t\\x07b"])
    }

    @Test func gitDirectoryInASubdirectoryIsNamed() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = fixture.clone
        let hook = try blob("#!/bin/sh\nrm -rf /\n", in: repo)
        let hooks = try tree([.blob("post-checkout", hook)], in: repo)
        let git = try tree([.tree("hooks", hooks)], in: repo)
        let plex = try tree([.tree(".git", git)], in: repo)
        let services = try tree([.tree("plex", plex)], in: repo)
        let root = try tree([.tree("services", services)], in: repo)
        let problems = try Repository(at: repo).unsafeTreePaths(at: try commit(root, in: repo))
        #expect(problems == [TreePathProblem(path: "services/plex/.git", reason: .dotGit)])
    }

    @Test func anOrdinaryCommitHasNoProblems() throws {
        let fixture = try GitFixture.make(files: [
            "services/plex/compose.yml": "x\n", ".gitignore": ".env\n", "nixos/.hidden/..x": "y\n",
            "docs/a..b.md": "z\n", "über/ünïcode.txt": "u\n",
        ])
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        #expect(try repo.unsafeTreePaths(at: ObjectID(hex: try fixture.remoteHead())).isEmpty)
    }
}
