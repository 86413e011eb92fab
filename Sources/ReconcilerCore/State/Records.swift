import Foundation
import Git

/// How a deployment ended (or that it has not yet).
package enum DeploymentResult: String, Codable, Sendable {
    /// In progress, or interrupted by a crash when no live process holds the lock.
    case running
    /// The target commit is deployed.
    case succeeded
    /// Refused by validation: nothing was changed.
    case failed
    /// A step failed and every attempted step was re-applied at the previous commit.
    case rolledBack
    /// The rollback itself failed: the reconciler stops deploying until an operator acts.
    case degraded
    /// The process died mid-deploy; the next start found the record still running.
    case interrupted
    /// The world, not the commit, failed before any step (engine unreachable): nothing changed, the commit waits.
    case outage
}

/// Which part of a deployment a step belongs to.
package enum StepPhase: String, Codable, Sendable {
    case validate, apply, rollback
}

/// How one step ended.
package enum StepResult: String, Codable, Sendable {
    case running, succeeded, failed, skipped
}

/// A unit's last known state.
package enum UnitState: String, Codable, Sendable {
    case running, failed, stopped, pruned, unknown
}

/// One command run on one unit within a deployment.
package struct StepRecord: Codable, Sendable, Equatable {
    package var id: Int64
    package var deploymentID: Int64
    package var phase: StepPhase
    /// The unit id (`system`, `plex`, `sonarr/shows`).
    package var unit: String
    /// What was run: `switch`, `up`, `down`, `stop`, `check`, `config`.
    package var action: StepAction
    package var startedAt: Date
    package var endedAt: Date?
    package var result: StepResult
    package var exitCode: Int32?
    package var message: String?
    /// The end of the step's output, at most ``StateStore/logTailLimit`` bytes.
    package var logTail: String

    package init(
        id: Int64,
        deploymentID: Int64,
        phase: StepPhase,
        unit: String,
        action: StepAction,
        startedAt: Date,
        endedAt: Date?,
        result: StepResult,
        exitCode: Int32?,
        message: String?,
        logTail: String
    ) {
        self.id = id
        self.deploymentID = deploymentID
        self.phase = phase
        self.unit = unit
        self.action = action
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.result = result
        self.exitCode = exitCode
        self.message = message
        self.logTail = logTail
    }
}

/// One attempt to bring the homelab from one commit to another.
package struct DeploymentRecord: Codable, Sendable, Equatable {
    package var id: Int64
    /// The deployed commit when it started; nil for the first deployment.
    package var fromCommit: ObjectID?
    package var toCommit: ObjectID
    /// What started it.
    package var trigger: DeploymentTrigger
    package var startedAt: Date
    package var endedAt: Date?
    package var result: DeploymentResult
    package var message: String?
    /// The process that ran it, to tell a live deployment from an interrupted one.
    package var pid: Int32
    /// The plan, as JSON text.
    package var plan: String
    /// The steps in the order they were started.
    package var steps: [StepRecord]

    package init(
        id: Int64,
        fromCommit: ObjectID?,
        toCommit: ObjectID,
        trigger: DeploymentTrigger,
        startedAt: Date,
        endedAt: Date?,
        result: DeploymentResult,
        message: String?,
        pid: Int32,
        plan: String,
        steps: [StepRecord]
    ) {
        self.id = id
        self.fromCommit = fromCommit
        self.toCommit = toCommit
        self.trigger = trigger
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.result = result
        self.message = message
        self.pid = pid
        self.plan = plan
        self.steps = steps
    }
}

/// A unit's last applied commit and state.
package struct UnitRecord: Codable, Sendable, Equatable {
    package var id: String
    package var commit: ObjectID?
    package var state: UnitState
    package var message: String?
    package var updatedAt: Date

    package init(id: String, commit: ObjectID?, state: UnitState, message: String?, updatedAt: Date) {
        self.id = id
        self.commit = commit
        self.state = state
        self.message = message
        self.updatedAt = updatedAt
    }
}

/// A commit remembered for a reason: failed, held, or the target of a degraded deploy.
package struct CommitMark: Codable, Sendable, Equatable {
    package var commit: ObjectID
    package var reason: String
    package var at: Date

    package init(commit: ObjectID, reason: String, at: Date) {
        self.commit = commit
        self.reason = reason
        self.at = at
    }
}
