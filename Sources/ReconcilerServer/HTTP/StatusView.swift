import Foundation
import ReconcilerCore
import Synchronization

/// What `/`, `/status` and `reconciler status` show of the running units: the containers the poll loop last listed
/// through the Engine API (each poll already does, for self-heal), never a process per request. The report itself is
/// kept for a second, so a burst of requests reads the state database once.
package final class StatusView: Sendable {
    private struct Cached {
        var live: [String: String]?
        var report: StatusReport?
        var builtAt: ContinuousClock.Instant?
    }

    package static let maxAge: Duration = .seconds(1)
    let engine: any DeployEngine
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let cached = Mutex(Cached())

    package init(engine: any DeployEngine, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.engine = engine
        self.clock = clock
    }

    /// The poll loop's latest look at the deployed units; a new report is built on the next request.
    package func observe(_ units: [LiveUnit]) {
        let live = Self.projects(units)
        cached.withLock {
            $0.live = live
            $0.report = nil
        }
    }

    /// The report, built at most once per ``maxAge`` and whenever the loop looked again.
    package func report() async throws -> StatusReport {
        let now = clock()
        let (fresh, live) = cached.withLock { c -> (StatusReport?, [String: String]?) in
            if let report = c.report, let at = c.builtAt, now - at < Self.maxAge { return (report, c.live) }
            return (nil, c.live)
        }
        if let fresh { return fresh }
        let report = try await engine.status(live: live)
        cached.withLock {
            $0.report = report
            $0.builtAt = now
        }
        return report
    }

    /// Each project's state in `compose ls`'s words (`running(2)`, `exited(1), running(1)`); a project without
    /// containers is left out (absent).
    static func projects(_ units: [LiveUnit]) -> [String: String] {
        var result: [String: String] = [:]
        for unit in units where !unit.containers.isEmpty {
            let counts = Dictionary(grouping: unit.containers, by: \.state).mapValues(\.count)
            result[unit.project] = counts.keys.sorted().map { "\($0)(\(counts[$0]!))" }.joined(separator: ", ")
        }
        return result
    }
}
