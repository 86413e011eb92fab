import Foundation
import Synchronization

/// Slows down the sources of failed deliveries (bad signatures, oversize or malformed requests), never refusing a
/// valid one: every request is still verified, a locked-out source's only later.
///
/// More than `limit` failures from one address within `window` lock that address out for `window`; more than
/// `globalLimit` failures from anywhere lock everybody out (a flood from many addresses). A locked-out request waits
/// its turn in one queue that lets a verification through every `spacing`, at least `slowdown` and at most `maxWait`
/// (past that it goes anyway: a forge behind the same proxy as an attacker is slowed, not refused). Memory stays
/// bounded: addresses are forgotten once their window is over.
package final class FailureLimiter: Sendable {
    private struct Entry {
        var failures: [ContinuousClock.Instant] = []
        var blockedUntil: ContinuousClock.Instant?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var failures: [ContinuousClock.Instant] = []
        var everybodyUntil: ContinuousClock.Instant?
        var nextSlot: ContinuousClock.Instant?
    }

    package let limit: Int
    package let globalLimit: Int
    package let window: Duration
    package let spacing: Duration
    package let slowdown: Duration
    package let maxWait: Duration
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())

    package init(
        limit: Int = 10,
        globalLimit: Int = 100,
        window: Duration = .seconds(60),
        spacing: Duration = .milliseconds(50),
        slowdown: Duration = .seconds(1),
        maxWait: Duration = .seconds(5),
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.limit = limit
        self.globalLimit = globalLimit
        self.window = window
        self.spacing = spacing
        self.slowdown = slowdown
        self.maxWait = maxWait
        self.clock = clock
    }

    /// Whether requests from `address` are slowed down now (it, or everybody, is locked out).
    package func isLocked(_ address: String) -> Bool {
        let now = clock()
        return state.withLock { s in Self.locked(&s, address, now: now) }
    }

    /// How long a request from `address` waits before its signature is checked: zero unless locked out; then its
    /// turn in the queue, between `slowdown` and `maxWait`.
    package func delay(for address: String) -> Duration {
        let now = clock()
        return state.withLock { s in
            guard Self.locked(&s, address, now: now) else { return .zero }
            let slot = max(now + slowdown, s.nextSlot ?? now)
            if slot - now > maxWait { return maxWait }
            s.nextSlot = slot + spacing
            return slot - now
        }
    }

    /// Counts a failed delivery; returns true when this failure locked the address (or everybody) out.
    @discardableResult
    package func recordFailure(_ address: String) -> Bool {
        let now = clock()
        return state.withLock { s in
            if s.entries.count > 10_000 {
                s.entries = s.entries.filter { $0.value.blockedUntil.map { now < $0 } ?? false }
            }
            var entry = s.entries[address] ?? Entry()
            entry.failures = entry.failures.filter { now - $0 < window } + [now]
            var locked = false
            if entry.failures.count > limit {
                entry.blockedUntil = now + window
                entry.failures = []
                locked = true
            }
            s.entries[address] = entry
            s.failures = s.failures.filter { now - $0 < window } + [now]
            if s.failures.count > globalLimit {
                s.everybodyUntil = now + window
                s.failures = []
                locked = true
            }
            return locked
        }
    }

    private static func locked(_ s: inout State, _ address: String, now: ContinuousClock.Instant) -> Bool {
        if let until = s.everybodyUntil {
            if now < until { return true }
            s.everybodyUntil = nil
        }
        guard let until = s.entries[address]?.blockedUntil else { return false }
        if now < until { return true }
        s.entries[address] = nil
        return false
    }
}
