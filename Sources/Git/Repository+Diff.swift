import CLibGit2

extension Repository {
    /// Changes from `old` to `new` (nil `old` = the empty tree), rename detection on. Sorted by path
    /// (the new path for a rename).
    ///
    /// A rename is a deleted and an added file at least 50% similar (libgit2's default, like git's); a type change
    /// (a file becoming a symlink) is `.modified`; a copy is `.added`.
    /// - Parameters:
    ///   - old: The deployed commit, or nil to list every file of `new` as added.
    ///   - new: The target commit.
    package func diff(from old: ObjectID?, to new: ObjectID) throws -> [Change] {
        try withRepository { repo in
            try withTree(repo, commit: new) { newTree in
                if let old {
                    return try withTree(repo, commit: old) { oldTree in
                        // One tree (the same commit, or a revert of a revert): nothing to walk.
                        if git_oid_equal(git_tree_id(oldTree), git_tree_id(newTree)) != 0 { return [] }
                        return try Self.diff(repo, oldTree, newTree, context: "\(old.short)..\(new.short)")
                    }
                }
                return try Self.diff(repo, nil, newTree, context: "empty..\(new.short)")
            }
        }
    }

    private static func diff(
        _ repo: OpaquePointer,
        _ oldTree: OpaquePointer?,
        _ newTree: OpaquePointer,
        context: String
    ) throws -> [Change] {
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        // Without it a file turned symlink is a delete plus an add of the same path.
        options.flags = GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        var diff: OpaquePointer?
        try check(
            git_diff_tree_to_tree(&diff, repo, oldTree, newTree, &options),
            "git_diff_tree_to_tree",
            context: context
        )
        defer { git_diff_free(diff) }

        var find = git_diff_find_options()
        try check(
            git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)),
            "git_diff_find_options_init"
        )
        find.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try check(git_diff_find_similar(diff, &find), "git_diff_find_similar", context: context)

        var changes: [Change] = []
        let count = git_diff_num_deltas(diff)
        changes.reserveCapacity(count)
        for i in 0..<count {
            guard let delta = git_diff_get_delta(diff, i)?.pointee else { continue }
            let oldPath = string(delta.old_file.path) ?? ""
            let newPath = string(delta.new_file.path) ?? oldPath
            switch delta.status {
            case GIT_DELTA_ADDED, GIT_DELTA_COPIED: changes.append(.added(newPath))
            case GIT_DELTA_DELETED: changes.append(.deleted(oldPath))
            case GIT_DELTA_MODIFIED, GIT_DELTA_TYPECHANGE: changes.append(.modified(newPath))
            case GIT_DELTA_RENAMED: changes.append(.renamed(from: oldPath, to: newPath))
            default: continue  // unmodified, ignored, untracked, unreadable, conflicted: not in a tree-to-tree diff
            }
        }
        return changes.sorted { $0.sortPath < $1.sortPath }
    }
}

extension Change {
    /// The path a change is sorted by: the new path of a rename.
    var sortPath: String {
        switch self {
        case .added(let p), .modified(let p), .deleted(let p): p
        case .renamed(_, let to): to
        }
    }
}
