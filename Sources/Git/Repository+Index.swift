import CLibGit2

extension Repository {
    /// Files git tracks in this work tree (the index's and HEAD's tree's), sorted; `named` keeps those whose last
    /// path component is that name.
    ///
    /// Used to find files that must never be tracked (`.env`): a secret that is staged is as bad as one committed, and
    /// one removed from the index but still in HEAD is still in the history being deployed.
    /// - Parameters:
    ///   - name: Keep only paths whose file name is this (`.env`); nil keeps every path.
    package func trackedPaths(named name: String? = nil) throws -> [String] {
        try withRepository { repo in
            try trackedPaths(repo).filter { path in
                guard let name else { return true }
                return path == name || path.hasSuffix("/\(name)")
            }
            .sorted()
        }
    }

    /// Every path of the index, as it is on disk now (re-read when another process changed it): the one reader
    /// of the index for ``trackedPaths(named:)`` and the checkout-safety check.
    func indexPaths(_ repo: OpaquePointer) throws -> [String] {
        var index: OpaquePointer?
        try check(git_repository_index(&index, repo), "git_repository_index", context: workdir)
        defer { git_index_free(index) }
        try check(git_index_read(index, 0), "git_index_read", context: workdir)
        var paths: [String] = []
        for i in 0..<git_index_entrycount(index) {
            if let path = string(git_index_get_byindex(index, i)?.pointee.path) { paths.append(path) }
        }
        return paths
    }
}
