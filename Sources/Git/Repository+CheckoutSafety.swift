import CLibGit2
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Repository {
    /// Every path of `commit` whose checkout would overwrite or delete something git does not track in the work
    /// tree, sorted by path. Nothing is written.
    ///
    /// A path is tracked when the index or HEAD's tree has it; anything else on disk (untracked or ignored) is
    /// the operator's. Reported: an untracked or ignored file or symlink where `commit` has a file, symlink or
    /// directory; a directory holding untracked or ignored files where `commit` has a file or symlink. A tracked
    /// file in the way is not reported (the checkout replaces it as it should; local edits to it are drift), nor an
    /// untracked, not ignored file that already holds exactly the commit's bytes for that path (a checkout killed
    /// half-way leaves such files; writing the same bytes again loses nothing).
    /// Submodule entries are skipped: checkout never writes into them.
    ///
    /// Call it before a deploy's (and a rollback's) checkout; an empty result means ``checkout(_:)`` loses nothing.
    /// - Parameter commit: The commit about to be checked out.
    package func checkoutConflicts(for commit: ObjectID) throws -> [CheckoutConflict] {
        try withRepository { repo in
            let tracked = try trackedPaths(repo)
            var conflicts: [CheckoutConflict] = []
            try withTree(repo, commit: commit) { tree in
                try walkTree(repo, tree) { entry in
                    let path = entry.path
                    guard entry.kind != .submodule, entry.kind != .other else { return false }
                    guard let existing = lstatKind("\(workdir)/\(path)") else { return false }
                    let incoming: CheckoutConflict.Incoming
                    switch entry.kind {
                    case .tree: incoming = .directory
                    case .symlink: incoming = .symlink
                    default: incoming = .file
                    }
                    switch (existing, incoming) {
                    case (.directory, .directory):
                        return true
                    case (.directory, _):
                        let inside = untrackedPaths(under: path, tracked: tracked)
                        guard !inside.isEmpty else { return false }
                        conflicts.append(
                            CheckoutConflict(
                                path: path,
                                existing: .directory(untracked: inside),
                                ignored: isIgnored(repo, path + "/"),
                                incoming: incoming
                            )
                        )
                    case (.file, _), (.symlink, _):
                        guard !tracked.contains(path) else { return false }
                        let ignored = isIgnored(repo, path)
                        // An untracked file holding exactly the commit's bytes (what a checkout killed half-way
                        // leaves) loses nothing when the checkout writes them again.
                        if existing == .file, !ignored, entry.kind == .file || entry.kind == .executable,
                            holdsBlob("\(workdir)/\(path)", entry.id)
                        {
                            return false
                        }
                        conflicts.append(
                            CheckoutConflict(
                                path: path,
                                existing: existing == .symlink ? .symlink : .file,
                                ignored: ignored,
                                incoming: incoming
                            )
                        )
                    }
                    return false
                }
            }
            return conflicts.sorted { $0.path < $1.path }
        }
    }

    /// The paths of `commit` named `.env` (in any directory), sorted. Secrets belong in the work tree's ignored
    /// `.env` files, never in git: a commit that tracks one should be refused.
    package func trackedEnvFiles(at commit: ObjectID) throws -> [String] {
        try withRepository { repo in
            var found: [String] = []
            try withTree(repo, commit: commit) { tree in
                try walkTree(repo, tree) { entry in
                    if entry.kind != .tree, entry.names.last == Array(".env".utf8) { found.append(entry.path) }
                    return entry.kind == .tree
                }
            }
            return found.sorted()
        }
    }

    // MARK: Helpers

    private enum DiskKind { case file, symlink, directory }

    /// What is at `path` without following a final symlink; nil when nothing is.
    private func lstatKind(_ path: String) -> DiskKind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .file
        }
    }

    /// Files of the index and of HEAD's tree: what git tracks in this work tree (the one reader of it, for the
    /// checkout-safety check and ``trackedPaths(named:)``).
    func trackedPaths(_ repo: OpaquePointer) throws -> Set<String> {
        var files = Set(try indexPaths(repo))
        let unborn = git_repository_head_unborn(repo)
        try check(unborn, "git_repository_head_unborn", context: workdir)
        if unborn == 0 {
            var object: OpaquePointer?
            try check(git_revparse_single(&object, repo, "HEAD^{tree}"), "git_revparse_single", context: "HEAD")
            defer { git_object_free(object) }
            try walkTree(repo, object!) { entry in
                if entry.kind != .tree { files.insert(entry.path) }
                return entry.kind == .tree
            }
        }
        return files
    }

    /// Files and symlinks under the work-tree directory `path` that git does not track, relative to the
    /// repository root, sorted. Symlinks are not followed; `.git` is skipped.
    private func untrackedPaths(under path: String, tracked: Set<String>) -> [String] {
        var found: [String] = []
        var pending = [path]
        while let directory = pending.popLast() {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(workdir)/\(directory)")) ?? []
            for name in names where name != ".git" {
                let child = "\(directory)/\(name)"
                switch lstatKind("\(workdir)/\(child)") {
                case .directory: pending.append(child)
                case .file, .symlink: if !tracked.contains(child) { found.append(child) }
                case nil: break
                }
            }
        }
        return found.sorted()
    }

    /// Whether the file at `path` hashes to the blob `id` (its raw bytes, no filters).
    private func holdsBlob(_ path: String, _ id: git_oid) -> Bool {
        var hashed = git_oid()
        var expected = id
        return git_odb_hashfile(&hashed, path, GIT_OBJECT_BLOB) == 0 && git_oid_equal(&hashed, &expected) == 1
    }

    private func isIgnored(_ repo: OpaquePointer, _ path: String) -> Bool {
        var ignored: Int32 = 0
        return git_ignore_path_is_ignored(&ignored, repo, path) == 0 && ignored == 1
    }
}
