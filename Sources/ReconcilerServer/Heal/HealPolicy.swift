import ReconcilerCore

/// Decides whether a deployed unit needs healing: its containers are missing, or exited although their restart policy
/// says they should run, and no operator stopped it. Pure.
package enum HealPolicy {
    /// Why `unit` should be brought back, or nil when it is fine or not ours to touch.
    package static func reason(_ unit: LiveUnit) -> String? {
        // Stopped by an operator, failed (a deploy's business), or never applied: leave it alone.
        guard unit.recordedState == .running else { return nil }
        if unit.containers.isEmpty { return "no containers of project \(unit.project) exist" }
        for c in unit.containers where c.state != "running" {
            // Docker is already restarting it (or it is paused on purpose).
            if c.state == "restarting" || c.state == "paused" || c.state == "removing" { continue }
            let policy = unit.restartPolicies[c.id] ?? "unknown"
            if shouldRun(policy: policy, exitCode: c.exitCode) {
                return
                    "container \(c.name) is \(c.state)\(c.exitCode.map { " (exit \($0))" } ?? "") with restart policy \(policy)"
            }
        }
        return nil
    }

    /// Whether a stopped container with this restart policy is meant to be running.
    package static func shouldRun(policy: String, exitCode: Int?) -> Bool {
        switch policy {
        case "always", "unless-stopped": true
        case "on-failure": (exitCode ?? 1) != 0
        default: false
        }
    }
}

/// The restart budget: at most `limit` heals per unit in a sliding `window`, so a crash loop never becomes a deploy
/// loop. Exhaustion is reported once per episode and not retried until the window has room again.
package struct HealBudget: Sendable {
    package let limit: Int
    package let window: Duration
    private var heals: [String: [ContinuousClock.Instant]] = [:]
    private var reported: Set<String> = []

    package init(limit: Int = 5, window: Duration = .seconds(30 * 60)) {
        self.limit = limit
        self.window = window
    }

    private mutating func prune(_ unit: String, now: ContinuousClock.Instant) {
        heals[unit] = (heals[unit] ?? []).filter { now - $0 < window }
    }

    /// Heals used in the window.
    package mutating func used(_ unit: String, now: ContinuousClock.Instant) -> Int {
        prune(unit, now: now)
        return heals[unit]?.count ?? 0
    }

    /// Whether one more heal is allowed; records it when it is.
    package mutating func take(_ unit: String, now: ContinuousClock.Instant) -> Bool {
        prune(unit, now: now)
        guard (heals[unit]?.count ?? 0) < limit else { return false }
        heals[unit, default: []].append(now)
        reported.remove(unit)
        return true
    }

    /// True the first time an exhausted unit is seen in an episode (so it is reported once).
    package mutating func shouldReportExhaustion(_ unit: String) -> Bool {
        reported.insert(unit).inserted
    }

    package func isExhausted(_ unit: String, now: ContinuousClock.Instant) -> Bool {
        (heals[unit] ?? []).filter { now - $0 < window }.count >= limit
    }

    /// Units with heals in the window, with the count.
    package func snapshot(now: ContinuousClock.Instant) -> [String: Int] {
        heals.compactMapValues { list in
            let n = list.filter { now - $0 < window }.count
            return n > 0 ? n : nil
        }
    }
}
