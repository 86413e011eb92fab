import CLibGit2

extension Repository {
    /// Tracked files whose work-tree content differs from HEAD (modified, deleted, type-changed), sorted.
    /// Untracked and ignored files are not drift.
    ///
    /// Changes staged in the index count too (including a staged new file: someone ran `git add` here), since a
    /// deploy's forced checkout would overwrite them. Submodules are not looked into: checkout never updates them.
    package func modifiedTrackedFiles() throws -> [String] {
        try withRepository { repo in
            var options = git_status_options()
            try check(
                git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)),
                "git_status_options_init"
            )
            options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
            options.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
            var list: OpaquePointer?
            try check(git_status_list_new(&list, repo, &options), "git_status_list_new", context: workdir)
            defer { git_status_list_free(list) }

            let drift: UInt32 =
                GIT_STATUS_INDEX_NEW.rawValue | GIT_STATUS_INDEX_MODIFIED.rawValue
                | GIT_STATUS_INDEX_DELETED.rawValue | GIT_STATUS_INDEX_RENAMED.rawValue
                | GIT_STATUS_INDEX_TYPECHANGE.rawValue | GIT_STATUS_WT_MODIFIED.rawValue
                | GIT_STATUS_WT_DELETED.rawValue | GIT_STATUS_WT_TYPECHANGE.rawValue
                | GIT_STATUS_WT_RENAMED.rawValue | GIT_STATUS_CONFLICTED.rawValue
            var paths = Set<String>()
            for i in 0..<git_status_list_entrycount(list) {
                guard let entry = git_status_byindex(list, i)?.pointee else { continue }
                guard entry.status.rawValue & drift != 0 else { continue }
                let delta = entry.head_to_index ?? entry.index_to_workdir
                if let path = string(delta?.pointee.new_file.path) ?? string(delta?.pointee.old_file.path) {
                    paths.insert(path)
                }
            }
            return paths.sorted()
        }
    }
}
