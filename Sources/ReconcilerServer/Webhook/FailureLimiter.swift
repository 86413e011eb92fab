import Synchronization

/// Locks out an address that keeps sending bad signatures: more than `limit` failures within `window` blocks it for
/// `window`. Memory stays bounded: addresses are forgotten once their window is over.
package final class FailureLimiter: Sendable {
    private struct Entry {
        var failures: [ContinuousClock.Instant] = []
        var blockedUntil: ContinuousClock.Instant?
    }

    package let limit: Int
    package let window: Duration
    private let entries = Mutex<[String: Entry]>([:])

    package init(limit: Int = 10, window: Duration = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// Whether `address` is locked out now.
    package func isBlocked(_ address: String, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLock { all in
            guard let until = all[address]?.blockedUntil else { return false }
            if now < until { return true }
            all[address] = nil
            return false
        }
    }

    /// Counts a failed signature; returns true when this failure locked the address out.
    @discardableResult
    package func recordFailure(_ address: String, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLock { all in
            if all.count > 10_000 { all = all.filter { $0.value.blockedUntil.map { now < $0 } ?? false } }
            var entry = all[address] ?? Entry()
            entry.failures = entry.failures.filter { now - $0 < window } + [now]
            var blocked = false
            if entry.failures.count > limit {
                entry.blockedUntil = now + window
                entry.failures = []
                blocked = true
            }
            all[address] = entry
            return blocked
        }
    }
}
