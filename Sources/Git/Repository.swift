import CLibGit2
import Foundation

/// A repository with a work tree, opened through libgit2. One handle can be kept for a process's life.
///
/// API contract (implementation in progress; every method throws `GitError`):
package final class Repository: Sendable {
    /// The work tree's root, absolute, without a trailing slash.
    package let workdir: String

    /// Opens the repository whose work tree is at `path` (not a bare repository).
    package init(at path: String) throws {
        fatalError("not implemented")
    }

    /// Fetches `branch` from `remote` (a remote name configured in the repository, or a URL/path) into
    /// `refs/remotes/<remoteName>/<branch>` and returns the fetched branch head.
    /// Honors `timeout`: a fetch never hangs past it.
    package func fetch(remote: String, branch: String, credentials: Credentials, timeout: Duration) throws -> ObjectID {
        fatalError("not implemented")
    }

    /// Resolves a revision (`HEAD`, `HEAD~1`, `origin/main`, a short sha, a tag) to a commit.
    package func commit(for revision: String) throws -> Commit {
        fatalError("not implemented")
    }

    /// The commit HEAD points at, or nil for an unborn HEAD.
    package func head() throws -> Commit? {
        fatalError("not implemented")
    }

    /// Changes from `old` to `new` (nil `old` = the empty tree), rename detection on. Sorted by path.
    package func diff(from old: ObjectID?, to new: ObjectID) throws -> [Change] {
        fatalError("not implemented")
    }

    /// Bytes of the file at `path` in `commit`'s tree, or nil when there is no such file.
    package func contents(of path: String, at commit: ObjectID) throws -> Data? {
        fatalError("not implemented")
    }

    /// Every blob, symlink and submodule entry of `commit`'s tree, recursively, sorted by path.
    package func treeEntries(at commit: ObjectID) throws -> [TreeEntry] {
        fatalError("not implemented")
    }

    /// Checks `commit` out into the work tree, forced, and detaches HEAD at it.
    /// Untracked and ignored files are never removed.
    package func checkout(_ commit: ObjectID) throws {
        fatalError("not implemented")
    }

    /// Tracked files whose work-tree content differs from HEAD (modified, deleted, type-changed), sorted.
    /// Untracked and ignored files are not drift.
    package func modifiedTrackedFiles() throws -> [String] {
        fatalError("not implemented")
    }

    /// True when `ancestor` is `descendant` or one of its ancestors.
    package func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws -> Bool {
        fatalError("not implemented")
    }

    /// The URL of a configured remote, or nil when `name` is not a configured remote.
    package func remoteURL(_ name: String) throws -> String? {
        fatalError("not implemented")
    }
}
