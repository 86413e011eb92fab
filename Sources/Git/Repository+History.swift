import CLibGit2

extension Repository {
    /// Resolves a revision (`HEAD`, `HEAD~1`, `origin/main`, a short sha, a tag) to a commit.
    ///
    /// Annotated tags are peeled to the commit they tag.
    /// - Parameter revision: Anything `git rev-parse` accepts that names a commit.
    /// - Throws: `.badRevision` naming `revision` when it names nothing, is ambiguous, or is not a commit.
    package func commit(for revision: String) throws -> Commit {
        try withRepository { repo in
            var object: OpaquePointer?
            let rc = git_revparse_single(&object, repo, revision)
            if rc < 0 {
                let error = GitError.libgit2("git_revparse_single", rc, code: .badRevision, context: revision)
                throw GitError(
                    code: .badRevision,
                    call: error.call,
                    errorClass: error.errorClass,
                    message: "unknown revision: \(error.message)",
                    context: revision
                )
            }
            defer { git_object_free(object) }
            var peeled: OpaquePointer?
            let peelRC = git_object_peel(&peeled, object, GIT_OBJECT_COMMIT)
            if peelRC < 0 {
                throw GitError.libgit2("git_object_peel", peelRC, code: .badRevision, context: revision)
            }
            defer { git_object_free(peeled) }
            return Commit(peeled!)
        }
    }

    /// The commit HEAD points at, or nil for an unborn HEAD (a repository without commits).
    package func head() throws -> Commit? {
        try withRepository { repo in
            let unborn = git_repository_head_unborn(repo)
            try check(unborn, "git_repository_head_unborn", context: workdir)
            if unborn == 1 { return nil }
            var object: OpaquePointer?
            try check(git_revparse_single(&object, repo, "HEAD"), "git_revparse_single", context: "HEAD")
            defer { git_object_free(object) }
            var peeled: OpaquePointer?
            try check(git_object_peel(&peeled, object, GIT_OBJECT_COMMIT), "git_object_peel", context: "HEAD")
            defer { git_object_free(peeled) }
            return Commit(peeled!)
        }
    }

    /// Up to `limit` commits from `start` following first parents only (the deploy history of a
    /// branch, without the side branches of its merges), `start` first.
    /// - Parameters:
    ///   - start: The newest commit.
    ///   - limit: The most commits returned; 0 or less returns none.
    package func log(from start: ObjectID, limit: Int) throws -> [Commit] {
        guard limit > 0 else { return [] }
        return try withRepository { repo in
            var result: [Commit] = []
            var next: ObjectID? = start
            while let id = next, result.count < limit {
                next = try withCommit(repo, id) { commit -> ObjectID? in
                    let value = Commit(commit)
                    result.append(value)
                    return value.parents.first
                }
            }
            return result
        }
    }

    /// True when `ancestor` is `descendant` or one of its ancestors.
    package func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws -> Bool {
        if ancestor == descendant { return true }
        return try withRepository { repo in
            var a = try ancestor.gitOID()
            var d = try descendant.gitOID()
            let rc = git_graph_descendant_of(repo, &d, &a)
            try check(rc, "git_graph_descendant_of", context: "\(ancestor.short)..\(descendant.short)")
            return rc == 1
        }
    }

    /// The URL of a configured remote, or nil when `name` is not a configured remote.
    package func remoteURL(_ name: String) throws -> String? {
        try withRepository { repo in
            // The handle is kept for the repository's life, as fetch keeps it: libgit2 1.5 leaks ~110 KiB on every
            // remote lookup, which a daemon asking on every poll cannot afford.
            if let kept = remoteHandles.withLock({ $0[name]?.pointer }) { return string(git_remote_url(kept)) }
            var remote: OpaquePointer?
            let rc = git_remote_lookup(&remote, repo, name)
            if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue { return nil }
            try check(rc, "git_remote_lookup", context: name)
            guard let remote else { return nil }
            let kept = RemoteHandle(pointer: remote)
            remoteHandles.withLock { $0[name] = kept }
            return string(git_remote_url(remote))
        }
    }
}
