import Git

/// Why a commit is not deployed, found before any step runs. Each names the commit and every path or key at fault.
package struct CommitRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Reason: Sendable, Equatable {
        /// Tree entries that must never be written (`..`, `.git`, control characters …).
        case unsafeTreePaths([TreePathProblem])
        /// `.env` files tracked in git.
        case trackedEnvFiles([String])
        /// Paths whose checkout would overwrite or delete the operator's untracked or ignored files.
        case checkoutConflicts([CheckoutConflict])
        /// The head is not signed by a trusted key.
        case signature(SignatureVerdict)
        /// The head does not descend from the deployed commit.
        case historyRewritten(deployed: ObjectID, relation: HistoryRelation)
    }

    package let commit: ObjectID
    package let reason: Reason

    package init(commit: ObjectID, reason: Reason) {
        self.commit = commit
        self.reason = reason
    }

    /// The contract's exit code: 1 for a commit that is itself invalid (remembered as failed, like an invalid
    /// reconciler.json); 5 for a refusal an operator may lift (a signature, a rewrite).
    package var exitCode: ReconcilerError.ExitCode {
        switch reason {
        case .unsafeTreePaths, .trackedEnvFiles, .checkoutConflicts: .configuration
        case .signature, .historyRewritten: .refused
        }
    }

    package var description: String {
        let id = commit.short
        func list(_ lines: [String]) -> String { lines.map { "\n  \($0)" }.joined() }
        switch reason {
        case .unsafeTreePaths(let problems):
            return "commit \(id) has tree entries that would write outside the work tree or into .git; "
                + "it is never checked out:" + list(problems.map(\.description))
        case .trackedEnvFiles(let paths):
            return "commit \(id) tracks .env files, which hold secrets and never belong in git: "
                + paths.joined(separator: ", ")
                + "; remove them from the repository (git rm --cached), rotate the secrets, and push again"
        case .checkoutConflicts(let conflicts):
            return "commit \(id) would overwrite or delete files git does not track in the work tree; nothing "
                + "was touched:" + list(conflicts.map(\.description))
                + "\nMove those files away (or stop tracking the paths in the repository), then sync again."
        case .signature(let verdict):
            return verdict.description
        case .historyRewritten(let deployed, let relation):
            let how =
                switch relation {
                case .ancestor: "the remote branch was reset to an older commit"
                case .diverged(nil): "the remote branch holds an unrelated history"
                case .diverged(let base?): "the remote history was rewritten after \(base.short)"
                case .same, .descendant: "the remote moved"
                }
            return "\(CommitPreflight.rewritePrefix) deployed \(deployed.short), remote \(id) (\(how)); not deployed. "
                + "Accept it with `reconciler sync --accept-rewrite` or `reconciler rollback \(id)`"
        }
    }
}

/// The checks a commit must pass before any step of its deploy (or rollback) runs, in one place for the engine.
package enum CommitPreflight {
    /// How a history-rewrite refusal begins (status shows it; `--accept-rewrite` lifts its failure mark).
    package static let rewritePrefix = "remote history rewritten:"

    /// Tree paths, tracked `.env` files and checkout conflicts of `commit`, in that order; the first that finds
    /// anything is returned (nil: safe to materialise and check out). Reads only.
    /// - Parameters:
    ///   - commit: The target (or, for a rollback, the base) commit.
    ///   - repository: The deploy repository, with its work tree as it is now.
    ///   - checkingEnvFiles: False for a rollback to a commit that was deployed before (its `.env` was accepted
    ///     then; refusing the way back helps nobody).
    package static func check(
        _ commit: ObjectID,
        in repository: Repository,
        checkingEnvFiles: Bool = true
    ) throws
        -> CommitRefusal?
    {
        let problems = try repository.unsafeTreePaths(at: commit)
        if !problems.isEmpty { return CommitRefusal(commit: commit, reason: .unsafeTreePaths(problems)) }
        if checkingEnvFiles {
            let envFiles = try repository.trackedEnvFiles(at: commit)
            if !envFiles.isEmpty { return CommitRefusal(commit: commit, reason: .trackedEnvFiles(envFiles)) }
        }
        let conflicts = try repository.checkoutConflicts(for: commit)
        if !conflicts.isEmpty { return CommitRefusal(commit: commit, reason: .checkoutConflicts(conflicts)) }
        return nil
    }

    /// A refusal when `head` does not descend from `deployed` and nothing accepts the rewrite.
    /// - Parameters:
    ///   - acceptRewrite: `sync --accept-rewrite` or `allowRewrite: true` in the host file.
    package static func checkHistory(
        _ head: ObjectID,
        deployed: ObjectID?,
        in repository: Repository,
        acceptRewrite: Bool
    ) throws -> CommitRefusal? {
        guard let deployed, !acceptRewrite else { return nil }
        let relation = try repository.relation(of: head, to: deployed)
        if relation.isFastForward { return nil }
        return CommitRefusal(commit: head, reason: .historyRewritten(deployed: deployed, relation: relation))
    }

    /// A refusal when `verify.mode` is `head` and `head` is not signed by a trusted key.
    package static func checkSignature(
        _ head: ObjectID,
        in repository: Repository,
        verify: VerifyConfig,
        runner: ProcessRunner,
        scratchDirectory: String
    ) async throws -> CommitRefusal? {
        guard verify.mode == .head else { return nil }
        let verdict = try await SignatureVerifier(verify, runner: runner, scratchDirectory: scratchDirectory)
            .verify(head, in: repository)
        return verdict.isTrusted ? nil : CommitRefusal(commit: head, reason: .signature(verdict))
    }
}
