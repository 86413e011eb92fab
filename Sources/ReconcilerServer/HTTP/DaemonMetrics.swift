import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// The daemon's Prometheus metrics, made through swift-metrics on a registry of its own (no global bootstrap, so
/// tests can run several daemons in one process). Names and labels are documented in docs/monitoring.md.
package final class DaemonMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let lastPoll: CoreMetrics.Gauge
    private let fetchFailures: CoreMetrics.Counter
    private let rollbacks: CoreMetrics.Counter
    private let degraded: CoreMetrics.Gauge
    private let held: CoreMetrics.Gauge
    private let outage: CoreMetrics.Gauge
    private let deployedCommit = Mutex<(String, CoreMetrics.Gauge)?>(nil)
    private let units = Mutex<[String: CoreMetrics.Gauge]>([:])

    package init(version: String) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["reconciler_deployment_duration_seconds"] = [
            .seconds(1), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
            .seconds(600), .seconds(1800),
        ]
        self.factory = factory
        CoreMetrics.Gauge(label: "reconciler_info", dimensions: [("version", version)], factory: factory).record(1)
        lastPoll = CoreMetrics.Gauge(label: "reconciler_last_poll_timestamp_seconds", factory: factory)
        fetchFailures = CoreMetrics.Counter(label: "reconciler_fetch_failures_total", factory: factory)
        rollbacks = CoreMetrics.Counter(label: "reconciler_rollbacks_total", factory: factory)
        degraded = CoreMetrics.Gauge(label: "reconciler_degraded", factory: factory)
        held = CoreMetrics.Gauge(label: "reconciler_held", factory: factory)
        outage = CoreMetrics.Gauge(label: "reconciler_outage", factory: factory)
        degraded.record(0)
        held.record(0)
        outage.record(0)
        // Counters a dashboard expects to see from the start, at zero.
        _ = CoreMetrics.Counter(label: "reconciler_forge_status_failures_total", factory: factory)
        for result in ["ok", "deployed", "failed", "outage", "fetch_failed", "busy", "refused"] {
            _ = CoreMetrics.Counter(label: "reconciler_polls_total", dimensions: [("result", result)], factory: factory)
        }
        for provider in WebhookProvider.allCases {
            for result in [
                "accepted", "ignored", "ping", "duplicate", "unauthorized", "too_large", "invalid", "incomplete",
            ] {
                _ = CoreMetrics.Counter(
                    label: "reconciler_webhooks_total",
                    dimensions: [("provider", provider.rawValue), ("result", result)],
                    factory: factory
                )
            }
        }
    }

    package func poll(result: String, at date: Date = Date()) {
        CoreMetrics.Counter(label: "reconciler_polls_total", dimensions: [("result", result)], factory: factory)
            .increment()
        lastPoll.record(date.timeIntervalSince1970)
    }

    package func fetchFailed() { fetchFailures.increment() }

    /// A commit status the forge did not take after every retry (docs/forge.md).
    package func forgeStatusFailed() {
        CoreMetrics.Counter(label: "reconciler_forge_status_failures_total", factory: factory).increment()
    }

    package func deployment(trigger: String, result: String, duration: Duration) {
        CoreMetrics.Counter(
            label: "reconciler_deployments_total",
            dimensions: [("trigger", trigger), ("result", result)],
            factory: factory
        ).increment()
        let (seconds, attoseconds) = duration.components
        CoreMetrics.Timer(label: "reconciler_deployment_duration_seconds", factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        if result == "rolledBack" || result == "degraded" { rollbacks.increment() }
    }

    package func healed(unit: String) {
        CoreMetrics.Counter(label: "reconciler_heals_total", dimensions: [("unit", unit)], factory: factory).increment()
    }

    package func webhook(provider: WebhookProvider, result: String) {
        CoreMetrics.Counter(
            label: "reconciler_webhooks_total",
            dimensions: [("provider", provider.rawValue), ("result", result)],
            factory: factory
        ).increment()
    }

    /// Gauges that follow the state: deployed commit, unit up, degraded, held, outage.
    package func update(from report: StatusSummary) {
        degraded.record(report.degraded ? 1 : 0)
        held.record(report.held ? 1 : 0)
        outage.record(report.outage ? 1 : 0)
        if let commit = report.deployedCommit {
            deployedCommit.withLock { current in
                if current?.0 == commit { return }
                current?.1.destroy()
                let gauge = CoreMetrics.Gauge(
                    label: "reconciler_deployed_commit_info",
                    dimensions: [("commit", commit)],
                    factory: factory
                )
                gauge.record(1)
                current = (commit, gauge)
            }
        }
        units.withLock { gauges in
            for (unit, up) in report.unitsUp {
                let gauge =
                    gauges[unit]
                    ?? CoreMetrics.Gauge(label: "reconciler_unit_up", dimensions: [("unit", unit)], factory: factory)
                gauges[unit] = gauge
                gauge.record(up ? 1 : 0)
            }
        }
    }

    /// The Prometheus text exposition.
    package func render() -> String { registry.emitToString() }
}

/// What the metrics need of a status report.
package struct StatusSummary: Sendable {
    package var deployedCommit: String?
    package var degraded: Bool
    package var held: Bool
    /// An outage goes on (engine unreachable, fetch failing).
    package var outage: Bool
    package var unitsUp: [String: Bool]

    package init(deployedCommit: String?, degraded: Bool, held: Bool, outage: Bool = false, unitsUp: [String: Bool]) {
        self.deployedCommit = deployedCommit
        self.degraded = degraded
        self.held = held
        self.outage = outage
        self.unitsUp = unitsUp
    }
}
