import Foundation
import Git

/// The one place a deployment's start, steps and result are written: state first, then act. A step is recorded
/// before it runs and a write that fails throws, which stops the deploy. The engine's parts read the state freely but
/// write it only through here.
package struct DeploymentLedger: Sendable {
    package let store: StateStore
    /// Every message is masked before it is written (step tails arrive masked by the runner already).
    package let masker: SecretMasker

    package init(store: StateStore, masker: SecretMasker = .shared) {
        self.store = store
        self.masker = masker
    }

    // MARK: Deployments

    /// Records that a deployment starts (result `running`) and returns its id.
    package func begin(from: ObjectID?, to: ObjectID, trigger: DeploymentTrigger, plan: Plan?) throws -> Int64 {
        try store.beginDeployment(from: from, to: to, trigger: trigger, plan: plan?.json() ?? "{}")
    }

    /// A target that could not even be loaded still gets a line in the history, and is not retried.
    package func refused(from: ObjectID?, to: ObjectID, trigger: DeploymentTrigger, message: String) throws {
        let message = masker.mask(message)
        let id = try begin(from: from, to: to, trigger: trigger, plan: nil)
        try store.finishDeployment(id, result: .failed, message: message)
        try store.markFailed(to, reason: message)
        try store.clearOutage()
    }

    /// The target is deployed: the work tree is at `commit`.
    package func succeeded(_ deployment: Int64, at commit: ObjectID?, message: String? = nil) throws {
        let message = message.map(masker.mask)
        if let commit { try store.setDeployedCommit(commit) }
        try store.finishDeployment(deployment, result: .succeeded, message: message)
        try store.clearOutage()
    }

    /// Validation (or a step with nothing to go back to) failed; `failedCommit`, when given, is not retried.
    package func failed(_ deployment: Int64, message: String, failedCommit: ObjectID?, reason: String? = nil) throws {
        let message = masker.mask(message)
        let reason = reason.map(masker.mask)
        try store.finishDeployment(deployment, result: .failed, message: message)
        if let failedCommit {
            try store.markFailed(failedCommit, reason: reason ?? message)
            try store.clearOutage()
        }
    }

    /// A step failed and the rollback brought `base` back.
    package func rolledBack(_ deployment: Int64, to base: ObjectID, message: String) throws {
        let message = masker.mask(message)
        try store.setDeployedCommit(base)
        try store.finishDeployment(deployment, result: .rolledBack, message: message)
    }

    /// The rollback failed: no more deploys until an operator acts.
    package func degraded(_ deployment: Int64, failedCommit: ObjectID, message: String) throws {
        let message = masker.mask(message)
        try store.setDegraded(failedCommit, reason: message)
        try store.finishDeployment(deployment, result: .degraded, message: message)
        try store.clearOutage()
    }

    /// A deployment a killed reconciler left running, now finished by recovery.
    package func interrupted(_ deployment: Int64, message: String) throws {
        let message = masker.mask(message)
        try store.finishDeployment(deployment, result: .interrupted, message: message)
    }

    /// Remembers that `commit` failed, so it is not retried until the remote moves on.
    package func markFailed(_ commit: ObjectID, reason: String) throws {
        try store.markFailed(commit, reason: masker.mask(reason))
        try store.clearOutage()
    }

    // MARK: Outages

    /// The world, not the commit, failed: `commit` waits to deploy (not marked failed). The first sync of an outage
    /// records it as a deployment (`outage`, or how its steps ended when it began mid-deploy); the syncs while it
    /// continues only update the cause, so `history` keeps one line per outage.
    /// - Parameter deployment: The deployment the outage ended, or nil to record one (`begin`'s arguments) when no
    ///   outage is recorded yet.
    /// - Returns: Whether a new outage was recorded (the daemon notifies once per outage).
    @discardableResult
    package func outage(
        _ commit: ObjectID,
        cause: String,
        message: String,
        recording deployment: (from: ObjectID?, trigger: DeploymentTrigger, plan: Plan?)?
    ) throws -> Bool {
        let cause = masker.mask(cause)
        let ongoing = try store.outage()
        if ongoing == nil, let deployment {
            let id = try begin(from: deployment.from, to: commit, trigger: deployment.trigger, plan: deployment.plan)
            try store.finishDeployment(id, result: .outage, message: masker.mask(message))
        }
        try store.setOutage(commit, reason: cause)
        return ongoing == nil
    }

    /// The checks of begun `deployment` failed because the engine or Compose is gone: it ends as an outage and
    /// `commit` waits (not marked failed).
    package func outage(_ deployment: Int64, commit: ObjectID, cause: String, message: String) throws {
        try store.finishDeployment(deployment, result: .outage, message: masker.mask(message))
        try store.setOutage(commit, reason: masker.mask(cause))
    }

    /// A fetch failed: an outage with `commit` waiting (nothing recorded when no commit is known yet).
    package func fetchFailed(waiting commit: ObjectID?, cause: String) throws {
        guard let commit else { return }
        try store.setOutage(commit, reason: masker.mask(cause))
    }

    /// A fetch worked: a fetch outage is over (an engine outage stays until a deploy ends it).
    package func fetchWorks() throws {
        if let outage = try store.outage(), outage.reason.hasPrefix(Self.fetchOutagePrefix) { try store.clearOutage() }
    }

    /// How a fetch outage's cause begins.
    package static let fetchOutagePrefix = "fetch failed: "

    // MARK: Steps

    /// Records that a step is about to run.
    package func beginStep(_ deployment: Int64, phase: StepPhase, unit: String, action: StepAction) throws -> Int64 {
        try store.beginStep(deployment: deployment, phase: phase, unit: unit, action: action)
    }

    /// Records how a step ended.
    package func finishStep(_ step: Int64, failure: String?, exitCode: Int32?, logTail: String) throws {
        try store.finishStep(
            step,
            result: failure == nil ? .succeeded : .failed,
            exitCode: exitCode,
            message: failure.map(masker.mask),
            logTail: masker.mask(logTail)
        )
    }

    /// Closes a step the dead process left running.
    package func closeInterrupted(_ step: StepRecord) throws {
        try store.finishStep(
            step.id,
            result: .failed,
            exitCode: nil,
            message: "interrupted: the reconciler died during this step",
            logTail: step.logTail
        )
    }

    // MARK: Units

    /// What an applied step leaves a unit as: running at `commit`, gone (a `down`), or failed with why.
    /// - Throws: The state store's error: a unit whose state cannot be written fails its step.
    /// - Parameter note: What a unit that applied fine still needs (the system: `reboot needed for kernel`).
    package func unitApplied(
        _ unit: String,
        action: PlanStep.Action,
        commit: ObjectID,
        failure: String?,
        note: String? = nil
    ) throws {
        let failure = failure.map(masker.mask)
        switch (action, failure) {
        case (.up, nil), (.switch, nil):
            try store.setUnit(unit, commit: commit, state: .running, message: note.map(masker.mask))
        case (.down, nil):
            try store.removeUnit(unit)
        case (_, let failure?):
            try store.setUnit(unit, commit: commit, state: .failed, message: failure)
        }
    }

    /// An operator stopped the unit (or tried to).
    package func unitStopped(_ unit: String, commit: ObjectID, failure: String?) throws {
        try store.setUnit(
            unit,
            commit: commit,
            state: failure == nil ? .stopped : .failed,
            message: failure.map(masker.mask) ?? "stopped by an operator"
        )
    }

    // MARK: Marks

    /// Holds automatic syncs on `commit` (the head a rollback stepped away from).
    package func hold(_ commit: ObjectID, reason: String) throws {
        try store.setHold(commit, reason: masker.mask(reason))
    }
    package func releaseHold() throws { try store.releaseHold() }
    package func clearDegraded() throws { try store.clearDegraded() }
    package func clearFailures() throws { try store.clearFailures() }
}
