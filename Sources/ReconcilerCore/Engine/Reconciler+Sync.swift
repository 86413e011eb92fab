import Foundation
import Git

extension Reconciler {
    /// The credentials a fetch uses, from the configuration's `auth`.
    package func credentials(_ config: Config) -> Credentials {
        Credentials(
            sshPrivateKey: config.auth.sshKey,
            knownHostsFile: config.auth.knownHosts,
            tokenFile: config.auth.tokenFile,
            tokenUser: config.auth.tokenUser ?? "git"
        )
    }

    /// The configuration in force now, for fetching and state: the deployed commit's, else the work tree's.
    package func currentConfig() throws -> Config {
        if let deployed = try store.deployedCommit(), let commit = try? repository.commit(for: deployed) {
            return try config(at: commit.id)
        }
        return try workTreeConfig()
    }

    /// The commit the state says is deployed, if any.
    package func deployedCommit() throws -> Commit? {
        guard let hex = try store.deployedCommit() else { return nil }
        return try repository.commit(for: hex)
    }

    /// Fetches the configured branch and returns its head.
    package func fetchRemoteHead(_ config: Config) throws -> Commit {
        reporter.report(.info("Fetching \(config.remote) \(config.branch) …"))
        do {
            let id = try repository.fetch(
                remote: config.remote,
                branch: config.branch,
                credentials: credentials(config),
                timeout: config.fetchTimeout
            )
            return try repository.commit(for: id.hex)
        } catch let error as GitError {
            throw ReconcilerError(
                .configuration,
                "cannot fetch \(config.branch) from \(config.remote): \(error)\nCheck the remote's address, the network, and the credentials in reconciler.json's \"auth\"."
            )
        }
    }

    /// Refuses to act while degraded.
    package func checkNotDegraded() throws {
        if let degraded = try store.degraded() {
            throw ReconcilerError(
                .degraded,
                """
                degraded since \(degraded.at.formatted(.iso8601)): \(degraded.reason)
                No automatic deploys until an operator acts: check `reconciler status`, fix the cause, then run `reconciler resume`.
                """
            )
        }
    }

    /// `reconciler sync`: fetch, and deploy the remote head if it is new, not held and not known to fail.
    package func sync(dryRun: Bool, trigger: String = "sync") async throws -> DeployOutcome {
        if !dryRun { try await recoverInterrupted() }
        try checkNotDegraded()
        let config = try currentConfig()
        let head = try fetchRemoteHead(config)
        return try await deployIfNew(head, trigger: trigger, dryRun: dryRun)
    }

    /// Deploys a fetched head unless it is deployed already, held, or known to fail (the part of `sync` after the
    /// fetch; the daemon fetches on its own to tell fetch failures apart).
    package func deployIfNew(_ head: Commit, trigger: String, dryRun: Bool) async throws -> DeployOutcome {
        let deployed = try deployedCommit()
        if let deployed, deployed.id == head.id {
            return .nothingToDo("up to date at \(head.id.short) \(head.summary)")
        }
        if let hold = try store.hold() {
            if hold.commit == head.id.hex {
                return .nothingToDo(
                    "held: \(head.id.short) was rolled back from (\(hold.reason)); it is not deployed again until the remote moves or `reconciler resume`"
                )
            }
            if !dryRun {
                try store.releaseHold()
                reporter.report(.info("The remote moved past the held commit; hold released."))
            }
        }
        if let failure = try store.failure(of: head.id.hex) {
            return .nothingToDo(
                "\(head.id.short) failed on \(failure.at.formatted(.iso8601)) and is not retried: \(failure.reason)\nPush a fix, or `reconciler resume` to retry it."
            )
        }
        try checkDrift()
        return try await deploy(to: head, trigger: trigger, dryRun: dryRun)
    }

    /// Deploys `target` over the deployed commit: plan, validate, apply, roll back on failure.
    package func deploy(to targetCommit: Commit, trigger: String, dryRun: Bool) async throws -> DeployOutcome {
        let deployed = try deployedCommit()
        let source = try deployed.map { try loadSource($0) }
        // On a first deploy the work tree's own commit, if it is another, is what a failure returns to.
        let head = try repository.head()
        let base = try source ?? head.flatMap { $0.id == targetCommit.id ? nil : try loadSource($0) }

        let target: DeployTarget
        do {
            target = try loadTarget(targetCommit)
        } catch {
            let message = "\(targetCommit.id.short) cannot be deployed: \(error)"
            if !dryRun { try recordRefusal(from: deployed, to: targetCommit, trigger: trigger, message: message) }
            return .invalid(message)
        }
        let plan = try await self.plan(from: source, to: target)
        reporter.report(.plan(plan))
        if dryRun { return .succeeded }

        let deployment = try store.beginDeployment(
            from: deployed?.id.hex,
            to: targetCommit.id.hex,
            trigger: trigger,
            plan: plan.json()
        )
        let failures = try await validate(plan: plan, target: target, deployment: deployment)
        if !failures.isEmpty {
            let message =
                "\(targetCommit.id.short) failed validation; nothing was changed:\n"
                + failures.map { "  \($0.unit): \($0.message)" }.joined(separator: "\n")
            try store.finishDeployment(deployment, result: .failed, message: message)
            try store.markFailed(targetCommit.id.hex, reason: "validation failed")
            return .invalid(message)
        }
        if plan.isEmpty {
            try repository.checkout(targetCommit.id)
            try store.setDeployedCommit(targetCommit.id.hex)
            try store.finishDeployment(deployment, result: .succeeded, message: "no unit affected")
            return .succeeded
        }
        let outcome = try await execute(
            plan: plan,
            source: source,
            base: base,
            target: target,
            deployment: deployment
        )
        switch outcome {
        case .rolledBack(let why), .failed(let why), .degraded(let why):
            try store.markFailed(targetCommit.id.hex, reason: why)
        default: break
        }
        return outcome
    }

    /// A target that could not even be loaded still gets a line in the history, and is not retried.
    private func recordRefusal(from: Commit?, to: Commit, trigger: String, message: String) throws {
        let id = try store.beginDeployment(from: from?.id.hex, to: to.id.hex, trigger: trigger, plan: "{}")
        try store.finishDeployment(id, result: .failed, message: message)
        try store.markFailed(to.id.hex, reason: message)
    }

    /// `reconciler rollback <rev>`: deploy an earlier commit and hold automatic syncs on the one left.
    package func rollback(to revision: String) async throws -> DeployOutcome {
        try await recoverInterrupted()
        try checkDrift()
        let target: Commit
        do {
            target = try repository.commit(for: revision)
        } catch {
            throw ReconcilerError(.configuration, "cannot resolve \(revision): \(error)")
        }
        let left = try deployedCommit()
        if left?.id == target.id {
            return .nothingToDo("\(target.id.short) is already deployed")
        }
        let outcome = try await deploy(to: target, trigger: "rollback", dryRun: false)
        if outcome == .succeeded {
            // Hold the remote head the operator stepped away from, so the next sync does not undo the rollback.
            let config = try currentConfig()
            let remoteRef = "refs/remotes/\(config.remote)/\(config.branch)"
            let held = (try? repository.commit(for: remoteRef))?.id ?? left?.id
            if let held {
                try store.setHold(held.hex, reason: "rolled back to \(target.id.short) by an operator")
            }
        }
        return outcome
    }

    /// `reconciler resume`: release a hold and a degraded state, and forget failed commits so they may be retried.
    package func resume() throws -> [String] {
        var released: [String] = []
        if let hold = try store.hold() {
            try store.releaseHold()
            released.append("hold on \(String(hold.commit.prefix(12)))")
        }
        if let degraded = try store.degraded() {
            try store.clearDegraded()
            released.append("degraded state (\(degraded.reason))")
        }
        try store.clearFailures()
        return released
    }
}
