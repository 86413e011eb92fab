import Foundation
import Git

extension Reconciler {
    /// The credentials a fetch uses, from the configuration's `auth`.
    package func credentials(_ config: Config) -> Credentials {
        config.auth.credentials
    }

    /// Fetches the configured branch and returns its head.
    package func fetchRemoteHead(_ config: Config) throws -> Commit {
        // Plain transports are a configuration error before anything is sent.
        let url = (try? repository.resolvedRemoteURL(config.remote)) ?? nil
        try config.checkTransport(url: url ?? config.remote)
        let shown = RemoteURL.display(config.remote)
        reporter.report(.info("Fetching \(shown) \(config.branch) …"))
        let id: ObjectID
        do {
            id = try repository.fetch(
                remote: config.remote,
                branch: config.branch,
                credentials: credentials(config),
                timeout: config.fetchTimeout
            )
        } catch let error as GitError {
            // The git layer's words name the remote (password masked) already: said once, with the cause.
            let cause =
                error.cause.map { "cannot fetch \(config.branch) from \(fetchLocation(config, url: url)): \($0)" }
                ?? "cannot fetch \(config.branch): \(error.message)"
            let message = "\(cause) (\(error.call))"
            // Status shows it as an outage while it lasts; the newest commit known waits: the remote head as last
            // fetched, or the one an engine outage left waiting, or the deployed one.
            let waiting =
                (try? repository.commit(for: config.remoteTrackingRef))?.id
                ?? (try? store.outage())?.commit ?? (try? store.deployedCommit())
            try? ledger.fetchFailed(waiting: waiting, cause: DeploymentLedger.fetchOutagePrefix + message)
            throw ReconcilerError(
                .configuration,
                "\(message)\nCheck the remote's address, the network, and the credentials in reconciler.json's \"auth\"."
            )
        }
        try? ledger.fetchWorks()
        return try repository.commit(for: id.hex)
    }

    /// The remote as a fetch error names it: a URL (password masked), or a remote's name with its URL.
    private func fetchLocation(_ config: Config, url: String?) -> String {
        let shown = RemoteURL.display(config.remote)
        guard let url, url != config.remote else { return shown }
        return "\(shown) (\(RemoteURL.display(url)))"
    }

    /// `reconciler sync`: fetch, and deploy the remote head if it is new, not held and not known to fail.
    /// - Parameter acceptRewrite: `sync --accept-rewrite`: deploy a head that does not descend from the deployed
    ///   commit (also `allowRewrite: true` in the host file).
    package func sync(
        dryRun: Bool,
        trigger: DeploymentTrigger = .sync,
        acceptRewrite: Bool = false
    ) async throws -> DeployOutcome {
        if !dryRun { try await recoverInterrupted() }
        try checkNotDegraded()
        let config = try currentConfig()
        let head = try fetchRemoteHead(config)
        return try await deployIfNew(
            head,
            trigger: trigger,
            dryRun: dryRun,
            acceptRewrite: acceptRewrite,
            config: config
        )
    }

    /// The checks before a sync deploys a fetched head (``SyncGate``), over this reconciler's repository and state.
    package var syncGate: SyncGate {
        SyncGate(repository: repository, store: store, runner: runner, scratchDirectory: "\(store.directory)/tmp")
    }

    /// Deploys a fetched head unless ``SyncGate`` says otherwise (the part of `sync` after the fetch; the daemon
    /// fetches on its own to tell fetch failures apart), and records what the gate decided.
    /// - Parameter config: The configuration in force, when the caller has read it already.
    package func deployIfNew(
        _ head: Commit,
        trigger: DeploymentTrigger,
        dryRun: Bool,
        acceptRewrite: Bool = false,
        config: Config? = nil
    ) async throws -> DeployOutcome {
        let config = try config ?? currentConfig()
        let deployed = try deployedCommit()
        let decision = try await syncGate.check(
            head: head,
            deployed: deployed?.id,
            config: config,
            acceptRewrite: acceptRewrite
        )
        if decision.releasesHold, !dryRun {
            try ledger.releaseHold()
            reporter.report(.info("The remote moved past the held commit; hold released."))
        }
        switch decision.verdict {
        case .skip(let why):
            return .nothingToDo(why)
        case .refuse(let code, let message, let record):
            if record, !dryRun {
                try ledger.refused(from: deployed?.id, to: head.id, trigger: trigger, message: message)
            }
            throw ReconcilerError(code, message)
        case .deploy:
            try checkDrift()
            return try await deploy(to: head, trigger: trigger, dryRun: dryRun)
        }
    }

    /// What deploying `target` over `source` does: ``Planner`` on the diff, with the driver asked which of the
    /// changed units' dependencies run now.
    /// - Parameters:
    ///   - askingDriver: false for a plan from git alone: every dependency is taken as running, and the plan says
    ///     that it could not know (``Plan/runningUnknown``).
    package func plan(
        from source: DeploySource?,
        to target: DeployTarget,
        askingDriver: Bool = true
    ) async throws
        -> Plan
    {
        let changes = try repository.diff(from: source?.commit.id, to: target.commit.id)
        var impact = Planner.impact(changes: changes, source: source, target: target)
        let scope = try scope(target.config)
        if let scope { impact = scope.assigned(impact, old: source?.units, new: target.units) }
        let dependencies = Planner.dependencies(of: impact.units, in: target)
        let running = askingDriver ? await running(dependencies, in: target) : dependencies
        var plan = Planner.plan(impact: impact, source: source, target: target, running: running)
        plan.host = scope?.name
        plan.sealedChanges = sealedChanges(plan, source: source, target: target)
        plan.runningUnknown = !askingDriver
        return plan
    }

    /// `reconciler plan`: what a sync would do from `from` (default: the deployed commit) to `to` (default: the remote
    /// branch head as last fetched), without side effects.
    package func plan(from: String?, to: String?) async throws -> Plan {
        let config = try currentConfig()
        let toRevision = to ?? config.remoteTrackingRef
        let target: Commit
        do {
            target = try repository.commit(for: toRevision)
        } catch {
            throw ReconcilerError(
                .configuration,
                to == nil
                    ? "no fetched remote head (\(toRevision)): run `reconciler sync --dry-run` to fetch, or pass --to REV"
                    : "cannot resolve --to \(toRevision): \(error)"
            )
        }
        var source: DeploySource?
        if let from {
            do {
                source = try loadSource(try repository.commit(for: from))
            } catch {
                throw ReconcilerError(.configuration, "cannot resolve --from \(from): \(error)")
            }
        } else if let deployed = try deployedCommit() {
            source = try loadSource(deployed)
        }
        return try await plan(from: source, to: try loadTarget(target))
    }

    /// Deploys `target` over the deployed commit: plan, validate, apply, roll back on failure.
    package func deploy(
        to targetCommit: Commit,
        trigger: DeploymentTrigger,
        dryRun: Bool
    ) async throws
        -> DeployOutcome
    {
        // A damaged object is the clone's fault: refused before anything is recorded, the commit not marked failed.
        try checkReadable(targetCommit.id, remote: currentConfig().remote)
        let deployed = try deployedCommit()
        let source = try deployed.map { try loadSource($0) }
        // On a first deploy the work tree's own commit, if it is another, is what a failure returns to.
        let head = try repository.head()
        let base = try source ?? head.flatMap { $0.id == targetCommit.id ? nil : try loadSource($0) }

        let target: DeployTarget
        do {
            target = try loadTarget(targetCommit)
        } catch let error as ConfigError where error.code == .unknownHost {
            // This machine's --host is wrong, not the commit: nothing is recorded, and the right name deploys it.
            throw ReconcilerError(.configuration, "\(targetCommit.id.short) cannot be deployed here: \(error)")
        } catch {
            let message = "\(targetCommit.id.short) cannot be deployed: \(error)"
            if !dryRun {
                try ledger.refused(from: deployed?.id, to: targetCommit.id, trigger: trigger, message: message)
            }
            return .invalid(message)
        }
        // Nothing is written (no scratch copy, no deployment) for a commit whose tree or checkout is unsafe.
        if let refusal = try CommitPreflight.check(
            targetCommit.id,
            in: repository,
            checkingEnvFiles: trigger != .rollback
        ) {
            if !dryRun {
                try ledger.refused(
                    from: deployed?.id,
                    to: targetCommit.id,
                    trigger: trigger,
                    message: refusal.description
                )
            }
            return .invalid(refusal.description)
        }
        let plan = try await self.plan(from: source, to: target)
        reporter.report(.plan(plan))
        if dryRun { return .succeeded }

        // An engine that is down is an outage, not a bad commit: checked once before any step. The engine's answer
        // alone (no process) unless an outage is on already; Compose itself is asked if a check or step fails.
        let context = engine.context(target.config)
        if plan.touchesServices,
            let why = try store.outage() == nil ? await driver.quickOutage(context) : await driver.outage(context)
        {
            let message = Self.outageMessage(why, waiting: targetCommit)
            try ledger.outage(
                targetCommit.id,
                cause: why,
                message: message,
                recording: (from: deployed?.id, trigger: trigger, plan: plan)
            )
            return .outage(message)
        }
        let deployment = try ledger.begin(from: deployed?.id, to: targetCommit.id, trigger: trigger, plan: plan)
        do {
            return try await run(deployment, plan: plan, source: source, base: base, target: target)
        } catch {
            // No deployment is left `running`: whatever stopped it (a checkout, a tree that cannot be materialised)
            // finishes it as failed, and the commit is not redeployed in a loop.
            let message = "\(targetCommit.id.short) could not be deployed: \(error)"
            try ledger.failed(deployment, message: message, failedCommit: targetCommit.id)
            throw error
        }
    }

    /// What an outage met before anything changed says: its cause, and that `commit` waits for the next sync.
    private static func outageMessage(_ cause: String, waiting commit: Commit) -> String {
        "\(cause); nothing was changed and \(commit.id.short) is not marked failed: the next sync deploys it"
    }

    /// Validates and applies `plan` as `deployment` (begun already); every way out records how it ended.
    private func run(
        _ deployment: Int64,
        plan: Plan,
        source: DeploySource?,
        base: DeploySource?,
        target: DeployTarget
    ) async throws -> DeployOutcome {
        let targetCommit = target.commit
        let failures = try await Validator(engine: engine).validate(
            plan: plan,
            target: target,
            deployment: deployment
        )
        if !failures.isEmpty {
            let message =
                "\(targetCommit.id.short) failed validation; nothing was changed:\n"
                + failures.map { "  \($0.unit): \($0.message)" }.joined(separator: "\n")
            // Compose gone, or the engine gone since the first look: the world failed the checks, not the commit.
            if plan.touchesServices, let cause = await driver.outage(engine.context(target.config)) {
                let why = Self.outageMessage(cause, waiting: targetCommit)
                try ledger.outage(deployment, commit: targetCommit.id, cause: cause, message: why)
                return .outage(why)
            }
            try ledger.failed(
                deployment,
                message: message,
                failedCommit: targetCommit.id,
                reason: "validation failed"
            )
            return .invalid(message)
        }
        if plan.isEmpty {
            try repository.checkout(targetCommit.id)
            try ledger.succeeded(deployment, at: targetCommit.id, message: "no unit affected")
            return .succeeded
        }
        let outcome = try await Applier(engine: engine).apply(
            plan,
            source: source,
            base: base,
            target: target,
            deployment: deployment
        )
        switch outcome {
        case .rolledBack(let why), .failed(let why):
            // A step that failed because the engine went away is an outage: the commit is not remembered as bad.
            if let cause = await driver.outage(engine.context(target.config)) {
                try ledger.outage(targetCommit.id, cause: cause, message: why, recording: nil)
                return .outage("\(cause)\n\(why)")
            }
            try ledger.markFailed(targetCommit.id, reason: why)
        case .degraded(let why):
            try ledger.markFailed(targetCommit.id, reason: why)
        case .succeeded, .nothingToDo, .invalid, .outage:
            break
        }
        return outcome
    }

    /// `reconciler rollback <rev>`: deploy an earlier commit and hold automatic syncs on the one left.
    package func rollback(to revision: String) async throws -> DeployOutcome {
        try await recoverInterrupted()
        try checkFullHistory(remote: currentConfig().remote)
        try checkDrift()
        let target = try commit(revision, option: "")
        let left = try deployedCommit()
        if left?.id == target.id {
            return .nothingToDo("\(target.id.short) is already deployed")
        }
        let outcome = try await deploy(to: target, trigger: .rollback, dryRun: false)
        if outcome == .succeeded {
            // Hold the remote head the operator stepped away from, so the next sync does not undo the rollback.
            let config = try currentConfig()
            let remoteRef = config.remoteTrackingRef
            let held = (try? repository.commit(for: remoteRef))?.id ?? left?.id
            if let held {
                try ledger.hold(held, reason: "rolled back to \(target.id.short) by an operator")
            }
        }
        return outcome
    }

    /// `reconciler resume`: release a hold and a degraded state, and forget failed commits so they may be retried.
    package func resume() throws -> [String] {
        var released: [String] = []
        if let hold = try store.hold() {
            try ledger.releaseHold()
            released.append("hold on \(hold.commit.short)")
        }
        if let degraded = try store.degraded() {
            try ledger.clearDegraded()
            released.append("degraded state (\(degraded.reason))")
        }
        try ledger.clearFailures()
        return released
    }
}
