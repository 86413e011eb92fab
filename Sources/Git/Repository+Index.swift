import CLibGit2

extension Repository {
    /// Paths the index tracks (committed or staged), sorted; `matching` filters them by their last path component.
    ///
    /// Used to find files that must never be tracked (`.env`): a secret that is staged is as bad as one committed.
    /// - Parameters:
    ///   - name: Keep only paths whose file name is this (`.env`); nil keeps every path.
    package func indexedPaths(named name: String? = nil) throws -> [String] {
        try withRepository { repo in
            var index: OpaquePointer?
            try check(git_repository_index(&index, repo), "git_repository_index", context: workdir)
            defer { git_index_free(index) }
            var paths: [String] = []
            for i in 0..<git_index_entrycount(index) {
                guard let path = string(git_index_get_byindex(index, i)?.pointee.path) else { continue }
                if let name, path != name, !path.hasSuffix("/\(name)") { continue }
                paths.append(path)
            }
            return paths.sorted()
        }
    }
}
