import Foundation
import ReconcilerCore

/// Why the daemon polls; it is the deployment's `trigger` in the history.
package enum PollTrigger: String, Sendable, CaseIterable {
    /// The timer.
    case poll
    /// A verified push webhook.
    case webhook
    /// `reconciler trigger` over the control socket.
    case trigger
}

extension PollTrigger {
    /// How the history records a deploy this poll started.
    package var deploymentTrigger: DeploymentTrigger {
        switch self {
        case .poll: .poll
        case .webhook: .webhook
        case .trigger: .trigger
        }
    }
}

/// How one poll ended.
package enum PollOutcome: Sendable, Equatable {
    /// The fetch failed; nothing else was tried.
    case fetchFailed(String)
    /// Fetched; nothing to deploy (up to date, held, known to fail), with the reason.
    case nothingToDo(head: String?, String)
    /// Fetched and deployed (or tried to), with the engine's outcome.
    case deployed(head: String, DeployOutcome, duration: Duration)
    /// Another reconciler (an operator's command) holds the lock; try again later.
    case busy(String)
    /// Refused before fetching: degraded, drift, a configuration error.
    case refused(String)
}

/// What a self-heal looks at: one deployed service unit and its containers now.
package struct LiveUnit: Sendable, Equatable {
    package let id: String
    package let project: String
    /// The state's word for it; an operator's `stop` is never healed.
    package let recordedState: UnitState
    package let containers: [EngineContainer]
    /// Restart policies of the containers that are not running (asked only for those).
    package let restartPolicies: [String: String]

    package init(
        id: String,
        project: String,
        recordedState: UnitState,
        containers: [EngineContainer],
        restartPolicies: [String: String] = [:]
    ) {
        self.id = id
        self.project = project
        self.recordedState = recordedState
        self.containers = containers
        self.restartPolicies = restartPolicies
    }
}

/// The part of the engine the daemon drives. `ReconcilerEngine` is the one adapter over `Reconciler`; the daemon's
/// tests drive it through this protocol.
package protocol DeployEngine: Sendable {
    /// Finishes what a killed run left (rolls back an interrupted deployment).
    func recover() async throws
    /// Fetch, and deploy the remote head if it is new.
    func poll(trigger: PollTrigger) async -> PollOutcome
    /// `status --json`'s report, with each project's live state from `live` (what the last poll saw; nil before
    /// the first): never a process per call.
    func status(live: [String: String]?) async throws -> StatusReport
    /// The newest deployments with their steps.
    func history(limit: Int) throws -> [DeploymentRecord]
    /// Every deployed service unit with its live containers, from one Docker Engine API call.
    func liveUnits() async throws -> [LiveUnit]
    /// `compose up` + health gate for one unit at the deployed commit, recorded with trigger `heal`.
    func heal(unit: String) async -> DeployOutcome
    /// The configuration in force (poll interval, webhook, notify).
    func currentConfig() throws -> Config
    /// Deployed commit, degraded and held, read from the state without asking Docker.
    func marks() throws -> EngineMarks
    /// One deployment with its commit and image changes (`/deployments/<id>`); nil when there is none.
    func deploymentDetail(id: Int64) throws -> DeploymentDetail?
}

extension DeployEngine {
    package func deploymentDetail(id: Int64) throws -> DeploymentDetail? { nil }
}

/// The state's marks the metrics follow.
package struct EngineMarks: Sendable, Equatable {
    package var deployed: String?
    package var degraded: Bool
    package var held: Bool
    /// An outage goes on (the state's outage mark).
    package var outage: Bool

    package init(deployed: String?, degraded: Bool, held: Bool, outage: Bool = false) {
        self.deployed = deployed
        self.degraded = degraded
        self.held = held
        self.outage = outage
    }
}
