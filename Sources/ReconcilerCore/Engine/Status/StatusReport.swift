import Foundation
import Git

/// What `reconciler status` shows; its JSON is the stable shape documented in docs/commands.md.
package struct StatusReport: Codable, Sendable {
    /// The overall state, worst first.
    package enum State: String, Codable, Sendable {
        case ok, degraded, failed, drifted, outage
    }

    package struct UnitStatus: Codable, Sendable {
        package let id: String
        /// Compose project name; nil for the system.
        package let project: String?
        /// The commit the unit was last applied at, as the state records it.
        package let commit: String?
        /// `running`, `failed`, `stopped`, `unknown` (never applied).
        package let state: String
        /// What Compose says now (`running(2)`, `exited(1)`), or `absent`; nil for the system.
        package let live: String?
        package var message: String?
    }

    package struct Mark: Codable, Sendable {
        package let commit: String
        package var reason: String
        package let at: Date

        init(_ mark: CommitMark) {
            commit = mark.commit.hex
            reason = mark.reason
            at = mark.at
        }
    }

    package struct LastDeployment: Codable, Sendable {
        package let id: Int64
        package let trigger: String
        package let from: String?
        package let to: String
        package let result: String
        package let startedAt: Date
        package let endedAt: Date?
        package var message: String?

        init(_ record: DeploymentRecord) {
            id = record.id
            trigger = record.trigger.rawValue
            from = record.fromCommit?.hex
            to = record.toCommit.hex
            result = record.result.rawValue
            startedAt = record.startedAt
            endedAt = record.endedAt
            message = record.message
        }
    }

    package let repo: String
    package let state: State
    package var deployed: CommitRef?
    /// The remote branch head as last fetched.
    package var remote: CommitRef?
    package var lastDeployment: LastDeployment?
    package var degraded: Mark?
    package var hold: Mark?
    /// A failure mark on the remote head, when it is the commit that failed.
    package var failedCommit: Mark?
    /// The outage going on: `reason` its cause, `commit` the commit waiting to deploy, `at` since when.
    package var outage: Mark?
    package let drift: [String]
    package var units: [UnitStatus]
    /// The host (`hosts.<name>`) this report speaks for; nil without `hosts`.
    package var host: String? = nil
    /// What the boot default changed that only a reboot brings (`kernel`, `initrd`, `systemd`); nil when nothing.
    /// The reconciler never reboots.
    package var rebootNeeded: [String]? = nil

    /// How the system unit's state message begins when its last switch needs a reboot.
    package static let rebootPrefix = "reboot needed for "

    /// What a system unit's state message says needs a reboot.
    static func rebootNeeded(fromSystemMessage message: String?) -> [String]? {
        guard let message, message.hasPrefix(rebootPrefix) else { return nil }
        return message.dropFirst(rebootPrefix.count).split(separator: ", ").map(String.init)
    }

    package var exitCode: ReconcilerError.ExitCode {
        switch state {
        case .degraded: .degraded
        case .drifted: .refused
        case .failed: .deployFailed
        // Like the sync that met it: the world failed (exit 1), the commit is not marked failed.
        case .outage: .configuration
        case .ok: .ok
        }
    }
}
