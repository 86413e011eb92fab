import Foundation
import Synchronization

/// The delivery ids of verified webhooks seen within the last `window` (GitHub's `X-GitHub-Delivery`, Gitea's
/// `X-Gitea-Delivery`, GitLab's `X-Gitlab-Event-UUID`): a forge's redelivery, or a replayed request, is answered
/// "duplicate" and wakes nothing. At most `capacity` ids are kept, the oldest forgotten first.
package final class DeliveryLog: Sendable {
    private struct State {
        var seen: [String: ContinuousClock.Instant] = [:]
        var order: [(String, ContinuousClock.Instant)] = []
        var start = 0
    }

    package static let headers: [WebhookProvider: [String]] = [
        .github: ["X-GitHub-Delivery"],
        .gitea: ["X-Gitea-Delivery", "X-Forgejo-Delivery", "X-Gogs-Delivery", "X-GitHub-Delivery"],
        .gitlab: ["X-Gitlab-Event-UUID"],
        .generic: ["X-Reconciler-Delivery"],
    ]

    package let window: Duration
    package let capacity: Int
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())

    package init(
        window: Duration = .seconds(3600),
        capacity: Int = 10_000,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.window = window
        self.capacity = capacity
        self.clock = clock
    }

    /// The delivery id a request carries, if any.
    package static func id(_ provider: WebhookProvider, header: (String) -> String?) -> String? {
        for name in headers[provider] ?? [] {
            if let value = header(name)?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                return String(value.prefix(200))
            }
        }
        return nil
    }

    /// Records `id`; false when it was already seen within the window.
    package func firstSighting(_ id: String) -> Bool {
        let now = clock()
        return state.withLock { s in
            while s.start < s.order.count {
                let (old, at) = s.order[s.start]
                guard now - at >= window || s.order.count - s.start > capacity else { break }
                if s.seen[old] == at { s.seen[old] = nil }
                s.start += 1
            }
            if s.start > 1024, s.start * 2 > s.order.count {
                s.order.removeFirst(s.start)
                s.start = 0
            }
            if let at = s.seen[id], now - at < window { return false }
            s.seen[id] = now
            s.order.append((id, now))
            return true
        }
    }
}
