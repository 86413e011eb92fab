import Foundation
import Hummingbird
import Logging
import ReconcilerCore

/// `GET /healthz` (and `HEAD`), `/status`, `/metrics` and the HTML page at `/`: all from what the poll loop last saw
/// (``StatusView``), never a process per request.
package struct StatusRoutes: Sendable {
    let engine: any DeployEngine
    let view: StatusView
    let state: DaemonState
    let metrics: DaemonMetrics
    let logger: Logger

    package init(
        engine: any DeployEngine,
        view: StatusView,
        state: DaemonState,
        metrics: DaemonMetrics,
        logger: Logger
    ) {
        self.engine = engine
        self.view = view
        self.state = state
        self.metrics = metrics
        self.logger = logger
    }

    package func add(to router: Router<DaemonRequestContext>) {
        router.get("/healthz") { _, _ in healthz() }
        router.head("/healthz") { _, _ in healthz() }
        router.get("/status") { _, _ in try await status() }
        router.get("/metrics") { _, _ in
            Reply.text(.ok, metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/") { _, _ in try await page() }
    }

    func healthz() -> Response {
        if (try? engine.marks())?.degraded == true {
            return Reply.text(.serviceUnavailable, "degraded: a rollback failed; see /status\n")
        }
        if let problem = state.healthProblem() {
            return Reply.text(.serviceUnavailable, "\(problem)\n")
        }
        return Reply.text(.ok, "ok\n")
    }

    /// `status --json` with the daemon's own fields under `daemon`.
    func statusAnswer() async throws -> StatusAnswer {
        StatusAnswer(report: try await view.report(), daemon: DaemonAnswer(snapshot: state.snapshot))
    }

    func status() async throws -> Response {
        Reply.json(.ok, try await statusAnswer())
    }

    func page() async throws -> Response {
        let report = try await view.report()
        let history = (try? engine.history(limit: 20)) ?? []
        return Reply.html(.ok, StatusPage.render(report: report, daemon: state.snapshot, history: history))
    }
}

/// `/status`: the report's fields, and `daemon`.
struct StatusAnswer: Encodable {
    let report: StatusReport
    let daemon: DaemonAnswer

    private enum Key: String, CodingKey { case daemon }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(daemon, forKey: .daemon)
    }
}

/// The daemon's snapshot and its pid.
struct DaemonAnswer: Encodable {
    let snapshot: DaemonSnapshot
    var pid = Int(getpid())

    private enum Key: String, CodingKey { case pid }

    func encode(to encoder: any Encoder) throws {
        try snapshot.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(pid, forKey: .pid)
    }
}
