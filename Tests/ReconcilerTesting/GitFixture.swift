import Foundation
import Git

/// Real git repositories for tests, built with the git CLI in one temporary directory:
///
/// - `remote`: a bare repository, standing in for GitHub/Gitea (fetch from it by path, `file://` URL, or over ssh);
/// - `clone`: a clone of it with `origin` configured — the work tree the reconciler is pointed at (`--repo`);
/// - `author`: another clone, where `commit(...)` makes commits and pushes them to `remote`, the way a person
///   pushes to the homelab repository. `clone` does not see them until it fetches.
///
/// ```swift
/// let fixture = try GitFixture.make(files: ["services/plex/compose.yml": "services: {}\n"])
/// defer { fixture.remove() }
/// let sha = try fixture.commit(files: ["services/plex/.env.example": "TZ=\n", "README.md": nil], message: "plex env")
/// let repo = try Repository(at: fixture.clone)
/// let head = try repo.fetch(remote: "origin", branch: fixture.branch, credentials: .init(), timeout: .seconds(10))
/// // head.hex == sha
/// ```
///
/// Every git command runs with a fixed identity and without the machine's user or system git configuration
/// (`GitFixture.environment`), so fixtures behave the same on a machine with no `~/.gitconfig`.
package struct GitFixture: Sendable {
    /// What `commit(_:message:)` does to one path.
    package enum FileChange: Sendable, Hashable {
        /// Create or overwrite a regular file (mode 644).
        case write(String)
        /// Create or overwrite an executable file (mode 755).
        case executable(String)
        /// Create or replace a symlink pointing at `target` (relative targets are relative to the link's directory).
        case symlink(to: String)
        /// Remove the file or symlink.
        case delete
    }

    /// The temporary directory holding everything; `remove()` deletes it.
    package let directory: TemporaryDirectory
    /// The bare repository (`<directory>/remote.git`).
    package let remote: String
    /// The clone the code under test works on (`<directory>/clone`), `origin` = `remote`.
    package let clone: String
    /// The clone commits are made in and pushed from (`<directory>/author`).
    package let author: String
    /// The branch commits go to (`main` unless given).
    package let branch: String

    /// Author, committer and an empty configuration for every git command a fixture runs.
    package static let environment: [String: String] = [
        "GIT_AUTHOR_NAME": "Fixture Author",
        "GIT_AUTHOR_EMAIL": "author@fixture.test",
        "GIT_COMMITTER_NAME": "Fixture Author",
        "GIT_COMMITTER_EMAIL": "author@fixture.test",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
    ]

    /// Makes the bare remote, the author clone and `clone`.
    /// - Parameters:
    ///   - branch: The branch name.
    ///   - files: The first commit's files (path → content). Empty: no commit at all, the branch is unborn and
    ///     `clone` is a clone of an empty repository.
    ///   - message: The first commit's message.
    package static func make(
        branch: String = "main",
        files: [String: String] = ["README.md": "fixture\n"],
        message: String = "initial"
    ) throws -> GitFixture {
        let directory = try TemporaryDirectory(prefix: "git-fixture")
        let fixture = GitFixture(
            directory: directory,
            remote: directory.appending("remote.git"),
            clone: directory.appending("clone"),
            author: directory.appending("author"),
            branch: branch
        )
        do {
            try git(["init", "--quiet", "--bare", "--initial-branch=\(branch)", fixture.remote])
            try git(["init", "--quiet", "--initial-branch=\(branch)", fixture.author])
            try git(["remote", "add", "origin", fixture.remote], in: fixture.author)
            if !files.isEmpty {
                try fixture.commit(files.mapValues { FileChange.write($0) }, message: message)
            }
            try git(["clone", "--quiet", fixture.remote, fixture.clone])
        } catch {
            directory.remove()
            throw error
        }
        return fixture
    }

    /// Writes, overwrites or (for nil) deletes files in the author clone, commits everything and pushes it.
    /// - Returns: The new commit's sha (40 hex digits).
    @discardableResult
    package func commit(files: [String: String?], message: String = "change") throws -> String {
        try commit(files.mapValues { $0.map(FileChange.write) ?? .delete }, message: message)
    }

    /// Applies `changes` in the author clone, commits everything (even nothing: empty commits are allowed) and
    /// pushes to `remote`.
    /// - Returns: The new commit's sha.
    @discardableResult
    package func commit(_ changes: [String: FileChange], message: String = "change") throws -> String {
        for (path, change) in changes.sorted(by: { $0.key < $1.key }) {
            try Self.apply(change, at: "\(author)/\(path)")
        }
        try Self.git(["add", "--all"], in: author)
        return try commitAndPush(message)
    }

    /// Renames a tracked file with `git mv` (content unchanged), commits and pushes.
    /// - Returns: The new commit's sha.
    @discardableResult
    package func rename(_ from: String, to: String, message: String = "rename") throws -> String {
        let parent = (("\(author)/\(to)") as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try Self.git(["mv", from, to], in: author)
        return try commitAndPush(message)
    }

    /// Tags `revision` of the author clone (annotated when `message` is given, lightweight otherwise) and pushes
    /// the tag.
    package func tag(_ name: String, at revision: String = "HEAD", message: String? = nil) throws {
        if let message {
            try Self.git(["tag", "--annotate", "--message", message, name, revision], in: author)
        } else {
            try Self.git(["tag", name, revision], in: author)
        }
        try Self.git(["push", "--quiet", "origin", "refs/tags/\(name)"], in: author)
    }

    /// The sha `branch` points at in `remote`.
    package func remoteHead() throws -> String {
        try Self.git(["rev-parse", "refs/heads/\(branch)"], in: remote)
    }

    /// Runs git in `clone` (for a test's own checks, e.g. `rev-parse HEAD`, `status`).
    @discardableResult
    package func gitInClone(_ arguments: [String]) throws -> String {
        try Self.git(arguments, in: clone)
    }

    /// Writes `content` to `path` (relative to `root`), creating directories; for editing `clone` in tests.
    package static func write(_ content: String, to path: String, in root: String) throws {
        try apply(.write(content), at: "\(root)/\(path)")
    }

    /// Runs git with `environment`; throws `CommandFailure` on a non-zero exit. Returns stdout without the
    /// trailing newline.
    @discardableResult
    package static func git(_ arguments: [String], in directory: String? = nil) throws -> String {
        let output = try Command.check(["git"] + arguments, in: directory, environment: environment)
        return output.trimmingCharacters(in: .newlines)
    }

    /// Deletes the whole fixture.
    package func remove() {
        directory.remove()
    }

    private func commitAndPush(_ message: String) throws -> String {
        try Self.git(["commit", "--quiet", "--allow-empty", "--message", message], in: author)
        try Self.git(["push", "--quiet", "origin", "HEAD:refs/heads/\(branch)"], in: author)
        return try Self.git(["rev-parse", "HEAD"], in: author)
    }

    private static func apply(_ change: FileChange, at path: String) throws {
        let fm = FileManager.default
        if (try? fm.attributesOfItem(atPath: path)) != nil {
            try fm.removeItem(atPath: path)
        }
        let parent = (path as NSString).deletingLastPathComponent
        switch change {
        case .delete:
            return
        case .write(let content), .executable(let content):
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
            if case .executable = change {
                try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            }
        case .symlink(let target):
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: path, withDestinationPath: target)
        }
    }
}

/// `"c1"` where a test needs an object id: state tests record made-up commits.
extension ObjectID: ExpressibleByStringLiteral {
    package init(stringLiteral value: String) { self.init(hex: value) }
}
