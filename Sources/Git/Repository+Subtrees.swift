import CLibGit2
import Foundation

/// One entry directly in a tree: a subtree (with its object id, which names its whole content) or a leaf.
package struct TreeChild: Hashable, Sendable {
    /// The entry's name in its tree (raw bytes decoded as UTF-8).
    package let name: String
    /// The object id of the subtree, blob or submodule commit.
    package let id: ObjectID
    /// nil for a subtree; the leaf's kind otherwise.
    package let kind: TreeEntry.Kind?

    package init(name: String, id: ObjectID, kind: TreeEntry.Kind?) {
        self.name = name
        self.id = id
        self.kind = kind
    }

    package var isTree: Bool { kind == nil }
}

extension Repository {
    /// The entries directly in the directory at `path` of `commit`'s tree, in tree order; nil when `path` is no
    /// directory there (absent, a file, a symlink, a submodule).
    /// - Parameters:
    ///   - path: Relative to the repository root, `/`-separated; "" for the root tree.
    ///   - commit: The commit whose tree is read.
    package func children(of path: String, at commit: ObjectID) throws -> [TreeChild]? {
        treeReads.add(1, ordering: .relaxed)
        return try withRepository { repo in
            try withTree(repo, commit: commit) { root -> [TreeChild]? in
                try withSubtree(repo, root, path: path, commit: commit) { tree in
                    (0..<git_tree_entrycount(tree)).compactMap { index -> TreeChild? in
                        guard let entry = git_tree_entry_byindex(tree, index) else { return nil }
                        let kind: TreeEntry.Kind?
                        switch git_tree_entry_filemode(entry) {
                        case GIT_FILEMODE_TREE: kind = nil
                        case GIT_FILEMODE_BLOB: kind = .file
                        case GIT_FILEMODE_BLOB_EXECUTABLE: kind = .executable
                        case GIT_FILEMODE_LINK: kind = .symlink
                        case GIT_FILEMODE_COMMIT: kind = .submodule
                        default: return nil
                        }
                        return TreeChild(
                            name: string(git_tree_entry_name(entry)) ?? "",
                            id: ObjectID(git_tree_entry_id(entry)),
                            kind: kind
                        )
                    }
                }
            }
        }
    }

    /// Every blob, symlink and submodule entry of the tree object `tree`, recursively, its paths relative to that
    /// tree, sorted by path: ``treeEntries(at:)`` of one directory, read by the directory's own id.
    package func treeEntries(ofTree tree: ObjectID) throws -> [TreeEntry] {
        treeReads.add(1, ordering: .relaxed)
        return try withRepository { repo in
            var oid = try tree.gitOID()
            var object: OpaquePointer?
            try check(git_tree_lookup(&object, repo, &oid), "git_tree_lookup", context: tree.hex)
            defer { git_tree_free(object) }
            return try collectEntries(object!, context: tree.hex)
        }
    }

    /// Whether `commit` has anything at `path`: a file, symlink or submodule there, or a directory holding one.
    package func hasEntries(under path: String, at commit: ObjectID) throws -> Bool {
        treeReads.add(1, ordering: .relaxed)
        return try withRepository { repo in
            try withTree(repo, commit: commit) { root -> Bool in
                var entry: OpaquePointer?
                let rc = git_tree_entry_bypath(&entry, root, path)
                if rc == GIT_ENOTFOUND.rawValue { return false }
                try check(rc, "git_tree_entry_bypath", context: "\(path) at \(commit.short)")
                defer { git_tree_entry_free(entry) }
                guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return isListedLeaf(entry!) }
                var tree: OpaquePointer?
                try check(git_tree_lookup(&tree, repo, git_tree_entry_id(entry)), "git_tree_lookup", context: path)
                defer { git_tree_free(tree) }
                return try containsLeaf(repo, tree!)
            }
        }
    }

    /// Hands the tree at `path` under `root` to `body`; nil when there is no tree there.
    private func withSubtree<T>(
        _ repo: OpaquePointer,
        _ root: OpaquePointer,
        path: String,
        commit: ObjectID,
        _ body: (OpaquePointer) throws -> T
    ) throws -> T? {
        if path.isEmpty { return try body(root) }
        var entry: OpaquePointer?
        let rc = git_tree_entry_bypath(&entry, root, path)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "git_tree_entry_bypath", context: "\(path) at \(commit.short)")
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return nil }
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, repo, git_tree_entry_id(entry)), "git_tree_lookup", context: path)
        defer { git_tree_free(tree) }
        return try body(tree!)
    }

    /// A blob, executable, symlink or submodule: what ``treeEntries(at:)`` lists.
    private func isListedLeaf(_ entry: OpaquePointer) -> Bool {
        [GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE, GIT_FILEMODE_LINK, GIT_FILEMODE_COMMIT]
            .contains(git_tree_entry_filemode(entry))
    }

    private func containsLeaf(_ repo: OpaquePointer, _ tree: OpaquePointer) throws -> Bool {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else {
                if isListedLeaf(entry) { return true }
                continue
            }
            var subtree: OpaquePointer?
            try check(git_tree_lookup(&subtree, repo, git_tree_entry_id(entry)), "git_tree_lookup")
            defer { git_tree_free(subtree) }
            if try containsLeaf(repo, subtree!) { return true }
        }
        return false
    }
}
