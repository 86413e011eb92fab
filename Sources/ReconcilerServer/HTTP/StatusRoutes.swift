import Foundation
import Hummingbird
import Logging
import ReconcilerCore

/// `GET /healthz`, `/status`, `/metrics` and the HTML page at `/`.
package struct StatusRoutes: Sendable {
    let engine: any DeployEngine
    let state: DaemonState
    let metrics: DaemonMetrics
    let logger: Logger

    package init(engine: any DeployEngine, state: DaemonState, metrics: DaemonMetrics, logger: Logger) {
        self.engine = engine
        self.state = state
        self.metrics = metrics
        self.logger = logger
    }

    package func add(to router: Router<DaemonRequestContext>) {
        router.get("/healthz") { _, _ in healthz() }
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
    func statusObject() async throws -> [String: Any] {
        let report = try await engine.status().masked(by: .shared)
        var object = try Self.jsonObject(report)
        var daemon = try Self.jsonObject(state.snapshot.masked(by: .shared))
        daemon["pid"] = Int(getpid())
        object["daemon"] = daemon
        return object
    }

    func status() async throws -> Response {
        Reply.json(.ok, try await statusObject(), masked: false)
    }

    func page() async throws -> Response {
        let masker = SecretMasker.shared
        let report = try await engine.status().masked(by: masker)
        let history = ((try? engine.history(limit: 20)) ?? []).map { $0.masked(by: masker) }
        let html = StatusPage.render(report: report, daemon: state.snapshot.masked(by: masker), history: history)
        return Reply.text(.ok, html, contentType: "text/html; charset=utf-8", masked: false)
    }

    static func jsonObject(_ value: some Encodable) throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}
