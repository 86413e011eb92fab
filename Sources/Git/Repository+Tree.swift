import CLibGit2
import Foundation

extension Repository {
    /// Bytes of the file at `path` in `commit`'s tree, or nil when there is no such file.
    ///
    /// A directory or a submodule at `path` is no file: nil. A symlink gives its target's path as bytes.
    /// - Parameters:
    ///   - path: Relative to the repository root, `/`-separated.
    ///   - commit: The commit whose tree is read.
    package func contents(of path: String, at commit: ObjectID) throws -> Data? {
        try withRepository { repo in
            try withBlob(repo, path: path, commit: commit) { blob, _ in
                let size = Int(git_blob_rawsize(blob))
                guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
                return Data(bytes: bytes, count: size)
            }
        }
    }

    /// The target of the symlink at `path` in `commit`'s tree, or nil when `path` is not a symlink there.
    package func symlinkTarget(of path: String, at commit: ObjectID) throws -> String? {
        try withRepository { repo in
            try withBlob(repo, path: path, commit: commit) { blob, mode -> String? in
                guard mode == GIT_FILEMODE_LINK else { return nil }
                let size = Int(git_blob_rawsize(blob))
                guard size > 0, let bytes = git_blob_rawcontent(blob) else { return "" }
                return String(decoding: UnsafeRawBufferPointer(start: bytes, count: size), as: UTF8.self)
            } ?? nil
        }
    }

    /// Every blob, symlink and submodule entry of `commit`'s tree, recursively, sorted by path.
    package func treeEntries(at commit: ObjectID) throws -> [TreeEntry] {
        if let cached = treeEntriesCache.withLock({ $0.entries(of: commit) }) { return cached }
        let entries = try walkTree(at: commit)
        treeEntriesCache.withLock { $0.insert(entries, of: commit) }
        return entries
    }

    private func walkTree(at commit: ObjectID) throws -> [TreeEntry] {
        treeReads.add(1, ordering: .relaxed)
        return try withRepository { repo in
            try withTree(repo, commit: commit) { tree in try collectEntries(tree, context: commit.hex) }
        }
    }

    /// Every blob, symlink and submodule entry under `tree`, recursively, paths relative to it, sorted by path.
    func collectEntries(_ tree: OpaquePointer, context: String) throws -> [TreeEntry] {
        let collector = TreeCollector()
        let rc = withExtendedLifetime(collector) {
            git_tree_walk(
                tree,
                GIT_TREEWALK_PRE,
                { root, entry, payload in
                    let collector = Unmanaged<TreeCollector>.fromOpaque(payload!).takeUnretainedValue()
                    collector.add(root: root, entry: entry!)
                    return 0
                },
                Unmanaged.passUnretained(collector).toOpaque()
            )
        }
        try check(rc, "git_tree_walk", context: context)
        return collector.entries.sorted { $0.path < $1.path }
    }

    /// Finds the blob at `path` in `commit` and hands it and its file mode to `body`; nil when there is none.
    private func withBlob<T>(
        _ repo: OpaquePointer,
        path: String,
        commit: ObjectID,
        _ body: (OpaquePointer, git_filemode_t) throws -> T
    ) throws -> T? {
        let path = normalized(path)
        guard !path.isEmpty else { return nil }
        return try withTree(repo, commit: commit) { tree -> T? in
            var entry: OpaquePointer?
            let rc = git_tree_entry_bypath(&entry, tree, path)
            if rc == GIT_ENOTFOUND.rawValue { return nil }
            try check(rc, "git_tree_entry_bypath", context: "\(path) at \(commit.short)")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
            let mode = git_tree_entry_filemode(entry)
            var blob: OpaquePointer?
            try check(
                git_blob_lookup(&blob, repo, git_tree_entry_id(entry)),
                "git_blob_lookup",
                context: "\(path) at \(commit.short)"
            )
            defer { git_blob_free(blob) }
            return try body(blob!, mode)
        }
    }

    private func normalized(_ path: String) -> String {
        var p = Substring(path)
        while p.hasPrefix("./") { p = p.dropFirst(2) }
        while p.hasPrefix("/") { p = p.dropFirst() }
        while p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }
}

/// Collects `git_tree_walk`'s entries; only touched on the walking thread.
private final class TreeCollector {
    var entries: [TreeEntry] = []

    func add(root: UnsafePointer<CChar>?, entry: OpaquePointer) {
        let kind: TreeEntry.Kind
        switch git_tree_entry_filemode(entry) {
        case GIT_FILEMODE_BLOB: kind = .file
        case GIT_FILEMODE_BLOB_EXECUTABLE: kind = .executable
        case GIT_FILEMODE_LINK: kind = .symlink
        case GIT_FILEMODE_COMMIT: kind = .submodule
        default: return  // trees: the walk descends into them
        }
        let name = string(git_tree_entry_name(entry)) ?? ""
        entries.append(TreeEntry(path: (string(root) ?? "") + name, kind: kind))
    }
}
