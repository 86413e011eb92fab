import Foundation
import Synchronization

/// Counts refused requests by kind (bad signature, too large, malformed, incomplete) so the log says each kind once
/// a minute with a count instead of a line per request: the first of a kind is logged at once, later ones are
/// summed and logged with the first one after the minute is over.
package final class ProblemTally: Sendable {
    private struct Kind {
        var lastLogged: ContinuousClock.Instant
        var pending: Int
    }

    package let interval: Duration
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let kinds = Mutex<[String: Kind]>([:])

    package init(
        interval: Duration = .seconds(60),
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.interval = interval
        self.clock = clock
    }

    /// Counts one of `kind`; returns how many to log now (this one included), or nil to stay quiet.
    package func count(_ kind: String) -> Int? {
        let now = clock()
        return kinds.withLock { all in
            guard var entry = all[kind] else {
                all[kind] = Kind(lastLogged: now, pending: 0)
                return 1
            }
            entry.pending += 1
            defer { all[kind] = entry }
            guard now - entry.lastLogged >= interval else { return nil }
            let total = entry.pending
            entry.pending = 0
            entry.lastLogged = now
            return total
        }
    }
}
