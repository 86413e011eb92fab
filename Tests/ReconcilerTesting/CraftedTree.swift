import Foundation

/// Tree objects git itself would refuse to make (entries named `..`, `.git`, holding `/` or control characters),
/// written with `git hash-object --literally` into a repository's object store, and commits of them.
package struct CraftedTree {
    /// One entry of a crafted tree.
    package struct Entry: Sendable {
        package var mode: String
        package var name: [UInt8]
        package var sha: String

        package static func blob(_ name: String, _ sha: String) -> Entry {
            Entry(mode: "100644", name: Array(name.utf8), sha: sha)
        }

        package static func tree(_ name: String, _ sha: String) -> Entry {
            Entry(mode: "40000", name: Array(name.utf8), sha: sha)
        }
    }

    /// A work tree whose object store receives the objects.
    package let repository: String

    package init(in repository: String) { self.repository = repository }

    /// Writes a blob and returns its sha.
    package func blob(_ content: String) throws -> String {
        try Command.check(
            ["git", "hash-object", "-w", "--stdin"],
            in: repository,
            environment: GitFixture.environment,
            input: content
        ).trimmingCharacters(in: .newlines)
    }

    /// Writes a tree object with exactly `entries` (no checks, in the order given) and returns its sha.
    package func tree(_ entries: [Entry]) throws -> String {
        var data = Data()
        for entry in entries {
            data.append(contentsOf: Array("\(entry.mode) ".utf8) + entry.name + [0])
            var sha = entry.sha[...]
            while !sha.isEmpty {
                data.append(UInt8(sha.prefix(2), radix: 16)!)
                sha = sha.dropFirst(2)
            }
        }
        let file = "\(repository)/.git/crafted-tree-\(UUID().uuidString)"
        try data.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try GitFixture.git(["hash-object", "-t", "tree", "--literally", "-w", file], in: repository)
    }

    /// Commits `tree` (no parent) and returns the commit's sha.
    package func commit(_ tree: String, message: String = "crafted") throws -> String {
        try GitFixture.git(["commit-tree", tree, "-m", message], in: repository)
    }

    /// The `nixos/../../x` tree: `nixos` holds `..`, which holds `..`, which holds the file `x`.
    package func escapingCommit() throws -> String {
        let x = try blob("pwned\n")
        let inner = try tree([.blob("x", x)])
        let up = try tree([.tree("..", inner)])
        let nixos = try tree([.tree("..", up), .blob("configuration.nix", x)])
        return try commit(try tree([.tree("nixos", nixos)]))
    }
}
