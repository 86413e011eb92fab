import CLibGit2

/// How a fetched head relates to the deployed commit.
package enum HistoryRelation: Hashable, Sendable {
    /// The same commit.
    case same
    /// The head descends from the deployed commit: a normal push.
    case descendant
    /// The head is an ancestor of the deployed commit: the branch was force-pushed back to an older commit.
    case ancestor
    /// Neither descends from the other: rewritten history (a rebase, an amended commit, an unrelated history).
    /// `mergeBase` is their newest common ancestor, nil when the histories share none.
    case diverged(mergeBase: ObjectID?)

    /// True only for `same` and `descendant`: anything else is a history rewrite and is not deployed silently.
    package var isFastForward: Bool {
        switch self {
        case .same, .descendant: true
        case .ancestor, .diverged: false
        }
    }
}

/// HEAD is not where the reconciler left it (someone ran `git checkout` by hand).
package enum HeadDrift: Hashable, Sendable, CustomStringConvertible {
    /// HEAD is detached at another commit.
    case detached(at: ObjectID)
    /// A branch is checked out; `at` is its commit (nil for an unborn branch).
    case branch(String, at: ObjectID?)
    /// HEAD cannot be resolved (no commit).
    case unborn

    package var description: String {
        switch self {
        case .detached(let id): "HEAD is detached at \(id.short)"
        case .branch(let name, let id): "branch \(name) is checked out\(id.map { " at \($0.short)" } ?? "")"
        case .unborn: "HEAD has no commit"
        }
    }
}

extension Repository {
    /// How `head` relates to `deployed` in the commit graph (`git_graph_descendant_of`).
    /// - Parameters:
    ///   - head: The fetched branch head.
    ///   - deployed: The commit the state says is deployed.
    /// - Throws: `.badRevision` when either commit is not in the repository.
    package func relation(of head: ObjectID, to deployed: ObjectID) throws -> HistoryRelation {
        if head == deployed { return .same }
        return try withRepository { repo in
            var h = try head.gitOID()
            var d = try deployed.gitOID()
            for (id, oid) in [(head, h), (deployed, d)] {
                var object: OpaquePointer?
                var copy = oid
                let rc = git_commit_lookup(&object, repo, &copy)
                if rc < 0 { throw GitError.libgit2("git_commit_lookup", rc, code: .badRevision, context: id.hex) }
                git_commit_free(object)
            }
            let down = git_graph_descendant_of(repo, &h, &d)
            try check(down, "git_graph_descendant_of", context: "\(deployed.short)..\(head.short)")
            if down == 1 { return .descendant }
            let up = git_graph_descendant_of(repo, &d, &h)
            try check(up, "git_graph_descendant_of", context: "\(head.short)..\(deployed.short)")
            if up == 1 { return .ancestor }
            var base = git_oid()
            let rc = git_merge_base(&base, repo, &h, &d)
            if rc == GIT_ENOTFOUND.rawValue { return .diverged(mergeBase: nil) }
            try check(rc, "git_merge_base", context: "\(deployed.short) \(head.short)")
            return .diverged(mergeBase: ObjectID(base))
        }
    }

    /// True when `head` is `deployed` or descends from it: the only case `sync` deploys without being told to.
    package func descends(_ head: ObjectID, from deployed: ObjectID) throws -> Bool {
        try relation(of: head, to: deployed).isFastForward
    }

    /// Whether HEAD has moved off `expected`: nil when HEAD is detached at exactly `expected` (as the reconciler's
    /// checkout leaves it); otherwise what HEAD is now. Counts as drift even when the files are unchanged.
    /// - Parameter expected: The deployed commit.
    package func headDrift(from expected: ObjectID) throws -> HeadDrift? {
        try withRepository { repo in
            let detached = git_repository_head_detached(repo)
            try check(detached, "git_repository_head_detached", context: workdir)
            var ref: OpaquePointer?
            let rc = git_repository_head(&ref, repo)
            if rc == GIT_EUNBORNBRANCH.rawValue || rc == GIT_ENOTFOUND.rawValue {
                var symbolic: OpaquePointer?
                guard git_reference_lookup(&symbolic, repo, "HEAD") == 0 else { return .unborn }
                defer { git_reference_free(symbolic) }
                guard let target = string(git_reference_symbolic_target(symbolic)) else { return .unborn }
                return .branch(shortBranchName(target), at: nil)
            }
            try check(rc, "git_repository_head", context: workdir)
            defer { git_reference_free(ref) }
            var object: OpaquePointer?
            try check(git_reference_peel(&object, ref, GIT_OBJECT_COMMIT), "git_reference_peel", context: "HEAD")
            defer { git_object_free(object) }
            let id = ObjectID(git_object_id(object))
            if detached == 1 { return id == expected ? nil : .detached(at: id) }
            return .branch(shortBranchName(string(git_reference_name(ref)) ?? "HEAD"), at: id)
        }
    }

    private func shortBranchName(_ ref: String) -> String {
        ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : ref
    }
}
