import Foundation

/// Decides whether a unit that was just brought up is well: every container of its project running, healthy where it
/// has a healthcheck, one-shots exited 0, and that still true after a short settle time, within the unit's timeout.
package struct HealthGate: Sendable {
    package enum Verdict: Sendable, Equatable {
        case passed(String)
        case failed(String)
    }

    package let driver: any ServiceDriver
    package let context: DriverContext
    /// A crash-looping container without a healthcheck can look `running` for a moment; for such containers the pass
    /// must hold this long. A container whose healthcheck says `healthy` has proven more than that.
    package var settle: Duration = .seconds(2)
    /// How often a waiting gate reports that it is still waiting.
    package var progressInterval: Duration = .seconds(10)

    package init(driver: any ServiceDriver, context: DriverContext) {
        self.driver = driver
        self.context = context
    }

    /// One look at the containers: nil while still undecided.
    package static func judge(_ containers: [ComposeContainer]) -> Verdict? {
        if containers.isEmpty { return nil }
        for c in containers {
            if c.health == "unhealthy" { return .failed("container \(c.name) is unhealthy") }
            if c.state == "dead" { return .failed("container \(c.name) is dead") }
            if c.state == "exited" && c.exitCode != 0 {
                return .failed("container \(c.name) exited with code \(c.exitCode)")
            }
        }
        if containers.allSatisfy({ $0.isUp || $0.isCompleted }) {
            let running = containers.filter(\.isUp).count
            let done = containers.count - running
            var summary = "\(running) running"
            let healthy = containers.filter { $0.health == "healthy" }.count
            if healthy > 0 { summary += " (\(healthy) healthy)" }
            if done > 0 { summary += ", \(done) completed" }
            return .passed(summary)
        }
        return nil
    }

    /// A short description of what is still pending, for progress lines.
    package static func pending(_ containers: [ComposeContainer]) -> String {
        if containers.isEmpty { return "no containers yet" }
        return containers.filter { !($0.isUp || $0.isCompleted) }
            .map { "\($0.name) \($0.state)\($0.health.isEmpty ? "" : "/\($0.health)")" }
            .joined(separator: ", ")
    }

    package func wait(
        for unit: ServiceUnit,
        in directory: String,
        timeout: Duration,
        progress: (@Sendable (Duration, String) -> Void)? = nil
    ) async throws -> Verdict {
        let clock = ContinuousClock()
        let start = clock.now
        var passingSince: ContinuousClock.Instant?
        var lastProgress = start
        var last: [ComposeContainer] = []
        // As often as the unit's driver says a look is cheap enough.
        let interval = driver.healthPollInterval(for: unit, context)
        while true {
            try Task.checkCancellation()
            last = try await driver.containers(unit, in: directory, context)
            let now = clock.now
            switch Self.judge(last) {
            case .failed(let why)?:
                return .failed(why)
            case .passed(let summary)?:
                if last.allSatisfy({ $0.health == "healthy" || $0.isCompleted }) { return .passed(summary) }
                if let since = passingSince {
                    if now - since >= settle { return .passed(summary) }
                } else {
                    passingSince = now
                }
            case nil:
                passingSince = nil
            }
            if now - start >= timeout {
                return .failed("not healthy after \(ConfigDuration.format(timeout)): \(Self.pending(last))")
            }
            if let progress, now - lastProgress >= progressInterval {
                lastProgress = now
                progress(now - start, Self.pending(last))
            }
            try await Task.sleep(for: interval)
        }
    }
}
