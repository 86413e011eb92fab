import CLibGit2
import Foundation
import Synchronization

/// A repository with a work tree, opened through libgit2. One handle can be kept for a process's life.
///
/// Every method throws `GitError` and takes the handle's lock for its whole duration, so one `Repository`
/// can be shared between tasks; a long `fetch` holds it until it finishes or times out.
///
/// The operations live in topic files: `Repository+Fetch.swift`, `Repository+History.swift`,
/// `Repository+Diff.swift`, `Repository+Tree.swift`, `Repository+Checkout.swift`, `Repository+Status.swift`.
package final class Repository: Sendable {
    /// The work tree's root, absolute, without a trailing slash.
    package let workdir: String

    private let handle: Mutex<OpaquePointer?>
    /// Remote handles kept for the repository's life, by the name or URL fetched: libgit2 1.5 leaks about 110 KiB
    /// on every `git_remote_lookup`/`git_remote_create_anonymous` (measured with a C loop), which a daemon that
    /// fetches every minute for months cannot afford; reusing one handle does not leak. Used under `handle`'s lock.
    let remoteHandles = Mutex<[String: RemoteHandle]>([:])
    /// The recursive listings of the last commits walked (`treeEntries(at:)`): a commit's tree never changes, so a
    /// daemon planning the same deployed and remote commits again, or one plan reading a commit twice, walks it once.
    let treeEntriesCache = Mutex(TreeEntriesCache(capacity: 4))
    /// How many times a tree was read on this handle (a commit's full walk, a directory's walk or listing), to show
    /// that an idle poll or a repeated discovery reads none.
    package let treeReads = Atomic<Int>(0)

    /// A libgit2 remote, only ever touched under the repository's lock.
    struct RemoteHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// Opens the repository whose work tree is at `path` (not a bare repository).
    ///
    /// `path` must be the work tree's root: a directory inside a work tree is not searched upwards, so a wrong
    /// `--repo` is reported instead of silently using an enclosing repository.
    /// - Parameter path: The work tree, absolute or relative to the current directory.
    /// - Throws: `.notFound` when `path` does not exist, `.notARepository` when it is not the root of a non-bare
    ///   repository, or libgit2's error (for example a repository owned by another user).
    package init(at path: String) throws {
        ensureLibgit2()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw GitError(
                code: .notFound,
                call: "Repository.init",
                message: "no such directory; pass the work tree of a clone of the homelab repository",
                context: path
            )
        }
        guard isDirectory.boolValue else {
            throw GitError(
                code: .notARepository,
                call: "Repository.init",
                message: "not a directory; pass the work tree of a git clone",
                context: path
            )
        }
        var repo: OpaquePointer?
        let rc = git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
        switch rc {
        case 0:
            break
        case GIT_ENOTFOUND.rawValue:
            throw GitError.libgit2(
                "git_repository_open_ext",
                rc,
                code: .notARepository,
                context: path
            )
        case GIT_EOWNER.rawValue:
            let error = GitError.libgit2("git_repository_open_ext", rc, code: .notARepository, context: path)
            throw GitError(
                code: .notARepository,
                call: error.call,
                errorClass: error.errorClass,
                message: "\(error.message); if this user should deploy it, run "
                    + "`git config --global --add safe.directory \(path)` as this user",
                context: path
            )
        default:
            throw GitError.libgit2("git_repository_open_ext", rc, context: path)
        }
        guard let repo else {
            throw GitError(
                code: .other,
                call: "git_repository_open_ext",
                message: "returned no repository",
                context: path
            )
        }
        guard git_repository_is_bare(repo) == 0, let wd = git_repository_workdir(repo) else {
            git_repository_free(repo)
            throw GitError(
                code: .notARepository,
                call: "git_repository_workdir",
                message: "is a bare repository; the reconciler needs a clone with a work tree",
                context: path
            )
        }
        var workdir = String(cString: wd)
        while workdir.count > 1 && workdir.hasSuffix("/") { workdir.removeLast() }
        self.workdir = workdir
        self.handle = Mutex(repo)
    }

    deinit {
        remoteHandles.withLock { remotes in
            for remote in remotes.values { git_remote_free(remote.pointer) }
            remotes = [:]
        }
        handle.withLock { repo in
            if let repo { git_repository_free(repo) }
            repo = nil
        }
    }

    /// Runs `body` with the libgit2 handle while holding the lock.
    func withRepository<T: Sendable>(_ body: (OpaquePointer) throws -> T) throws -> T {
        try handle.withLock { repo throws -> T in
            guard let repo else {
                throw GitError(code: .other, call: "Repository", message: "the repository is closed", context: workdir)
            }
            return try body(repo)
        }
    }
}

// MARK: - Scoped libgit2 objects

/// Looks up the commit `id` and hands it to `body`; freed afterwards.
func withCommit<T>(_ repo: OpaquePointer, _ id: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
    var oid = try id.gitOID()
    var commit: OpaquePointer?
    let rc = git_commit_lookup(&commit, repo, &oid)
    if rc < 0 {
        throw GitError.libgit2(
            "git_commit_lookup",
            rc,
            code: rc == GIT_ENOTFOUND.rawValue ? .badRevision : nil,
            context: id.hex
        )
    }
    defer { git_commit_free(commit) }
    return try body(commit!)
}

/// The tree of commit `id`, handed to `body`; freed afterwards.
func withTree<T>(_ repo: OpaquePointer, commit id: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
    try withCommit(repo, id) { commit in
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "git_commit_tree", context: id.hex)
        defer { git_tree_free(tree) }
        return try body(tree!)
    }
}

extension Commit {
    /// Copies a libgit2 commit into a value.
    init(_ commit: OpaquePointer) {
        let author = git_commit_author(commit)
        var parents: [ObjectID] = []
        for i in 0..<git_commit_parentcount(commit) {
            if let p = git_commit_parent_id(commit, i) { parents.append(ObjectID(p)) }
        }
        self.init(
            id: ObjectID(git_commit_id(commit)),
            summary: string(git_commit_summary(commit)) ?? "",
            authorName: string(author?.pointee.name) ?? "",
            authorEmail: string(author?.pointee.email) ?? "",
            time: Date(timeIntervalSince1970: TimeInterval(git_commit_time(commit))),
            parents: parents
        )
    }
}
