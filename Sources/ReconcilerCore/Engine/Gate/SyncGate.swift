import Foundation
import Git

/// The checks between a fetched head and its deploy, in the order a sync runs them: already deployed, a shallow
/// clone, a rewritten history, a hold, a commit known to fail, the head's signature. It decides only (reading the
/// repository and the state); the engine records what it decides through the ledger.
package struct SyncGate: Sendable {
    /// What to do with the head.
    package enum Verdict: Sendable, Equatable {
        /// Deploy it.
        case deploy
        /// Nothing to do, for this reason (up to date, held, known to fail).
        case skip(String)
        /// Refuse it with this exit code and message; `record`: add the refusal to the history (a refusal already
        /// recorded for this head is not added again).
        case refuse(ReconcilerError.ExitCode, String, record: Bool)
    }

    /// The verdict, and whether the remote moved past a held commit (the hold is released whatever the verdict).
    package struct Decision: Sendable, Equatable {
        package var verdict: Verdict
        package var releasesHold = false

        package init(verdict: Verdict, releasesHold: Bool = false) {
            self.verdict = verdict
            self.releasesHold = releasesHold
        }
    }

    let repository: Repository
    let store: StateStore
    let runner: ProcessRunner
    /// Where a signature check may write its temporary keyring (0700, created when needed).
    let scratchDirectory: String

    package init(repository: Repository, store: StateStore, runner: ProcessRunner, scratchDirectory: String) {
        self.repository = repository
        self.store = store
        self.runner = runner
        self.scratchDirectory = scratchDirectory
    }

    /// Decides what a sync does with `head` over `deployed`.
    /// - Parameters:
    ///   - config: The configuration in force (the deployed commit's, with the host file over it).
    ///   - acceptRewrite: `sync --accept-rewrite`, or `allowRewrite` in the host file.
    /// - Throws: A shallow clone (a configuration error), or what reading the state or the repository throws.
    package func check(head: Commit, deployed: ObjectID?, config: Config, acceptRewrite: Bool) async throws -> Decision
    {
        if let deployed, deployed == head.id {
            return Decision(verdict: .skip("up to date at \(head.id.short) \(head.summary)"))
        }
        // Checked only when there is something to deploy: an idle poll stays as cheap as it was.
        try checkFullHistory(remote: config.remote)
        let accepting = acceptRewrite || config.allowRewrite
        if let refusal = try CommitPreflight.checkHistory(
            head.id,
            deployed: deployed,
            in: repository,
            acceptRewrite: accepting
        ) {
            // Recorded once (status shows it); the next polls refuse it again without a new line in the history.
            let recorded = try store.failure(of: head.id) != nil
            return Decision(verdict: .refuse(refusal.exitCode, refusal.description, record: !recorded))
        }
        var decision = Decision(verdict: .deploy)
        if let hold = try store.hold() {
            if hold.commit == head.id {
                return Decision(
                    verdict: .skip(
                        "held: \(head.id.short) was rolled back from (\(hold.reason)); it is not deployed again until the remote moves or `reconciler resume`"
                    )
                )
            }
            decision.releasesHold = true
        }
        if let failure = try store.failure(of: head.id),
            !(accepting && failure.reason.hasPrefix(CommitPreflight.rewritePrefix))
        {
            decision.verdict = .skip(
                "\(head.id.short) failed on \(failure.at.formatted(.iso8601)) and is not retried: \(failure.reason)\nPush a fix, or `reconciler resume` to retry it."
            )
            return decision
        }
        // Only a head signed by a trusted key is deployed (verify.mode "head" in the host file).
        if config.verify.mode == .head {
            try FileManager.default.createDirectory(
                atPath: scratchDirectory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        if let refusal = try await CommitPreflight.checkSignature(
            head.id,
            in: repository,
            verify: config.verify,
            runner: runner,
            scratchDirectory: scratchDirectory
        ) {
            decision.verdict = .refuse(refusal.exitCode, refusal.description, record: true)
        }
        return decision
    }

    /// A shallow clone cannot tell a new commit from a rewritten history, nor roll back: refused before anything.
    package func checkFullHistory(remote: String) throws {
        guard try repository.isShallow() else { return }
        let dir = repository.workdir
        throw ReconcilerError(
            .configuration,
            """
            the deploy clone \(dir) is shallow (cloned with --depth): the reconciler needs the branch's history to tell a new commit from a rewritten history and to roll back to earlier commits. Nothing was changed.
            Fetch the whole history with `git -C \(dir) fetch --unshallow \(remote)`, then sync again.
            """
        )
    }
}
