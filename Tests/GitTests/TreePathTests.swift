import Foundation
import Git
import ReconcilerTesting
import Testing

/// Crafted trees (written with `git hash-object --literally`, which skips git's own name checks) whose entries
/// would write outside the work tree or into `.git`: each is named by path.
@Suite struct TreePathTests {
    private typealias Entry = CraftedTree.Entry

    private func tree(_ entries: [Entry], in repo: String) throws -> String {
        try CraftedTree(in: repo).tree(entries)
    }

    private func blob(_ content: String, in repo: String) throws -> String {
        try CraftedTree(in: repo).blob(content)
    }

    private func commit(_ tree: String, in repo: String) throws -> ObjectID {
        ObjectID(hex: try CraftedTree(in: repo).commit(tree))
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
