import Synchronization

/// How the poll loop sleeps until its timer or a request (webhook, `reconciler trigger`), whichever comes first.
///
/// Requests never queue: however many arrive while the loop is busy, they leave one pending poll — so hooks and
/// polls during a deploy become one follow-up poll, and a burst of hooks causes one fetch.
package final class Wakeup: Sendable {
    private struct State {
        var pending: PollTrigger?
        var waiter: (id: UInt64, continuation: CheckedContinuation<PollTrigger?, Never>)?
        var timer: Task<Void, Never>?
        var nextID: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())

    package init() {}

    /// Asks for a poll now. Returns false when one was already pending (coalesced).
    @discardableResult
    package func request(_ trigger: PollTrigger) -> Bool {
        let (waiter, fresh): (CheckedContinuation<PollTrigger?, Never>?, Bool) = state.withLock { s in
            if let w = s.waiter {
                s.waiter = nil
                s.timer?.cancel()
                s.timer = nil
                return (w.continuation, true)
            }
            let fresh = s.pending == nil
            if fresh { s.pending = trigger }
            return (nil, fresh)
        }
        waiter?.resume(returning: trigger)
        return fresh
    }

    /// Whether a request is waiting for the loop.
    package var hasPending: Bool { state.withLock { $0.pending != nil } }

    /// Forgets pending requests (the poll that is about to start covers them).
    package func drain() -> PollTrigger? {
        state.withLock { s in
            defer { s.pending = nil }
            return s.pending
        }
    }

    /// Ends every wait now and any later one at once (shutdown).
    package func close() {
        let waiter = state.withLock { s -> CheckedContinuation<PollTrigger?, Never>? in
            s.closed = true
            s.timer?.cancel()
            s.timer = nil
            defer { s.waiter = nil }
            return s.waiter?.continuation
        }
        waiter?.resume(returning: nil)
    }

    package var isClosed: Bool { state.withLock { $0.closed } }

    /// Waits until a request (returned) or `duration` has passed or the wakeup is closed (nil).
    package func wait(for duration: Duration) async -> PollTrigger? {
        await withCheckedContinuation { (continuation: CheckedContinuation<PollTrigger?, Never>) in
            let immediate: PollTrigger?? = state.withLock { s in
                if let p = s.pending {
                    s.pending = nil
                    return .some(p)
                }
                if s.closed { return .some(nil) }
                s.nextID += 1
                let id = s.nextID
                s.waiter = (id, continuation)
                s.timer = Task { [weak self] in
                    try? await Task.sleep(for: duration)
                    if Task.isCancelled { return }
                    self?.expire(id)
                }
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    private func expire(_ id: UInt64) {
        let waiter = state.withLock { s -> CheckedContinuation<PollTrigger?, Never>? in
            guard let w = s.waiter, w.id == id else { return nil }
            s.waiter = nil
            s.timer = nil
            return w.continuation
        }
        waiter?.resume(returning: nil)
    }
}
