import CLibGit2

extension Repository {
    /// Every entry of `commit`'s tree, at any depth, whose name is unsafe to write (see ``TreePathProblem``),
    /// in tree order. An empty result means every path of the commit stays inside the work tree and out of `.git`.
    ///
    /// Call it before anything of the commit is written: validation's scratch copy and the checkout. Entries
    /// below a bad one are not looked at (the bad one is reported).
    /// - Parameter commit: The commit to check.
    package func unsafeTreePaths(at commit: ObjectID) throws -> [TreePathProblem] {
        try withRepository { repo in
            var problems: [TreePathProblem] = []
            try withTree(repo, commit: commit) { tree in
                try walkTree(repo, tree) { entry in
                    guard let reason = TreePathProblem.reason(for: entry.names.last ?? []) else {
                        return entry.kind == .tree
                    }
                    problems.append(TreePathProblem(path: TreePathProblem.printable(entry.names), reason: reason))
                    return false
                }
            }
            return problems
        }
    }
}
