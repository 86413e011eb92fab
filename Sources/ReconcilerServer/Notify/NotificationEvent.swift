import Foundation

/// Something an operator may want to hear about. `kind`'s raw values are the names `notify[].events` lists.
package struct NotificationEvent: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        case succeeded, failed, rolledBack, degraded, healed, healBudgetExhausted, fetchFailing
        /// The world, not the commit, fails (engine unreachable): once when it starts; the commit waits.
        case outage
        /// An outage ended without a deploy to say so (a deploy's own event says it otherwise).
        case recovered
        /// The new system's boot default changes the kernel, initrd or systemd: only a reboot brings them.
        case rebootNeeded
    }

    package let kind: Kind
    package let commit: String?
    package let units: [String]
    package let message: String
    package let at: Date

    package init(kind: Kind, commit: String?, units: [String] = [], message: String, at: Date = Date()) {
        self.kind = kind
        self.commit = commit
        self.units = units
        self.message = message
        self.at = at
    }

    /// `RECONCILER_RESULT`, and the word notifications lead with.
    package var result: String { kind.rawValue }

    /// One line for a chat message.
    package var summary: String {
        let short = commit.map { " \($0.prefix(12))" } ?? ""
        let title: String =
            switch kind {
            case .succeeded: "Deployed\(short)"
            case .failed: "Deploy of\(short) failed"
            case .rolledBack: "Deploy of\(short) failed and was rolled back"
            case .degraded: "DEGRADED: rollback failed"
            case .healed: "Healed \(units.joined(separator: ", "))"
            case .healBudgetExhausted: "Heal budget exhausted for \(units.joined(separator: ", "))"
            case .fetchFailing: "Fetching the repository keeps failing"
            case .outage: "Outage:\(short) waits to deploy"
            case .recovered: "Outage over"
            case .rebootNeeded: "Reboot needed after\(short)"
            }
        return message.isEmpty ? title : "\(title): \(message)"
    }
}

/// Where the loop sends events; it must never block or fail the caller.
package protocol NotificationSink: Sendable {
    func publish(_ event: NotificationEvent)
}

/// Sends nowhere.
package struct NoNotifications: NotificationSink {
    package init() {}
    package func publish(_ event: NotificationEvent) {}
}
