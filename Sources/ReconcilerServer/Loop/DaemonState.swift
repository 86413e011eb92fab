import Foundation
import Synchronization

/// What the daemon knows about itself, shared by the loop (writer) and the HTTP routes (readers); `/status` serves it
/// as the `daemon` object.
package struct DaemonSnapshot: Codable, Sendable, Equatable {
    package struct HealBudgetEntry: Codable, Sendable, Equatable {
        package var used: Int
        package var limit: Int
        package var exhausted: Bool
    }

    package var startedAt: Date
    package var pollIntervalSeconds: Double
    package var lastPollAt: Date?
    /// `ok`, `deployed`, `failed`, `outage`, `fetch_failed`, `busy`, `refused`.
    package var lastPollResult: String?
    package var lastPollMessage: String?
    package var nextPollAt: Date?
    package var fetchFailingSince: Date?
    package var fetchError: String?
    package var consecutiveFetchFailures: Int
    /// While the engine is unreachable: since when (this daemon saw it), why, and how many polls met it in a row.
    package var outageSince: Date?
    package var outageCause: String?
    package var consecutiveOutages: Int
    package var deploying: Bool
    package var healBudget: [String: HealBudgetEntry]
    package var healWindowSeconds: Double
    package var webhooks: Int
    package var coalesced: Int

    /// Polls in a row that met a fetch failure or an outage: the back-off's exponent (0 = poll on the interval).
    package var backingOff: Int { consecutiveFetchFailures + consecutiveOutages }

    package init(startedAt: Date, pollInterval: Duration, healWindow: Duration) {
        self.startedAt = startedAt
        self.pollIntervalSeconds = pollInterval.seconds
        self.consecutiveFetchFailures = 0
        self.consecutiveOutages = 0
        self.deploying = false
        self.healBudget = [:]
        self.healWindowSeconds = healWindow.seconds
        self.webhooks = 0
        self.coalesced = 0
    }
}

extension Duration {
    package var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

/// The daemon's snapshot behind a lock.
package final class DaemonState: Sendable {
    private let value: Mutex<DaemonSnapshot>

    package init(_ snapshot: DaemonSnapshot) {
        value = Mutex(snapshot)
    }

    package var snapshot: DaemonSnapshot { value.withLock { $0 } }

    package func update(_ body: (inout DaemonSnapshot) -> Void) {
        value.withLock { body(&$0) }
    }

    /// 503 when degraded, or when the loop has not completed a poll for 3 intervals (allowing for back-off).
    package func healthProblem(now: Date = Date()) -> String? {
        let s = snapshot
        let allowance = max(s.pollIntervalSeconds * 3, 30)
        let last = s.lastPollAt ?? s.startedAt
        // A long deploy is the loop working, not stuck; back-off waits are the loop working too.
        if !s.deploying, s.backingOff == 0, now.timeIntervalSince(last) > allowance {
            return
                "no poll completed for \(Int(now.timeIntervalSince(last))) s (interval \(Int(s.pollIntervalSeconds)) s)"
        }
        if let next = s.nextPollAt, !s.deploying, now.timeIntervalSince(next) > allowance {
            return "the poll loop is late by \(Int(now.timeIntervalSince(next))) s"
        }
        return nil
    }
}
