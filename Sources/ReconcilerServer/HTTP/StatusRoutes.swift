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
            Reply.text(.ok, metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8", masked: false)
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
        let masker = SecretMasker.shared
        return StatusAnswer(
            report: try await view.report().masked(by: masker),
            daemon: DaemonAnswer(snapshot: state.snapshot.masked(by: masker))
        )
    }

    func status() async throws -> Response {
        Reply.json(.ok, try await statusAnswer(), masked: false)
    }

    func page() async throws -> Response {
        let masker = SecretMasker.shared
        let report = try await view.report().masked(by: masker)
        let history = ((try? engine.history(limit: 20)) ?? []).map { $0.masked(by: masker) }
        let html = StatusPage.render(report: report, daemon: state.snapshot.masked(by: masker), history: history)
        return Reply.html(.ok, html, masked: false)
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
