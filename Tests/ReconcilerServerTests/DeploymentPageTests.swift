import Foundation
import Git
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ReconcilerCore
import ReconcilerTesting
import Synchronization
import Testing

@testable import ReconcilerServer

/// `/deployments/<id>` through the real engine adapter on a real state and a real fixture repository: the commit's
/// subject and author, the image changes read from git, the steps with durations, the masked tail of a failed step.
struct DeploymentPageTests {
    @Test func aDeploymentPageShowsTheCommitChangesStepsAndTheMaskedFailure() async throws {
        let (fixture, from, to) = try PlanFixture.commits(hosts: false)
        defer { fixture.remove() }
        let state = try TemporaryDirectory(prefix: "deployment-page")
        defer { state.remove() }
        let logger = Logger(label: "test")
        let store = try StateStore(directory: state.path)
        let reconciler = Reconciler(
            repository: try Repository(at: fixture.clone),
            store: store,
            runner: ProcessRunner(logger: logger),
            logger: logger,
            reporter: SilentReporter(),
            hostConfigFile: nil
        )
        let plan = try await reconciler.planFromGit(from: from, to: to)
        let secret = "page-secret-\(UUID().uuidString)"
        SecretMasker.shared.add(secret)
        let id = try store.beginDeployment(
            from: ObjectID(hex: from),
            to: ObjectID(hex: to),
            trigger: .poll,
            plan: plan.json()
        )
        let plex = try store.beginStep(deployment: id, phase: .apply, unit: "plex", action: .up)
        try store.finishStep(plex, result: .succeeded, exitCode: 0, message: nil, logTail: "started")
        let app = try store.beginStep(deployment: id, phase: .apply, unit: "app", action: .up)
        try store.finishStep(
            app,
            result: .failed,
            exitCode: 1,
            message: "health check failed",
            logTail: "pulling redis\nREDIS_PASSWORD=\(secret)\ncontainer app-redis-1 is unhealthy"
        )
        try store.finishDeployment(id, result: .rolledBack, message: "app up failed: health check failed")

        let engine = ReconcilerEngine(
            reconciler: reconciler,
            stateDirectory: state.path,
            docker: .fromEnvironment(),
            logger: logger
        )
        let detail = try #require(try engine.deploymentDetail(id: id))
        #expect(detail.imageSummary.contains("plex 1.41.0 → 1.41.3"), "\(detail.imageSummary)")
        #expect(detail.imageSummary.contains("new redis redis:7"), "\(detail.imageSummary)")

        let daemon = Daemon(
            engine: engine,
            settings: .init(
                stateDirectory: state.path,
                listen: "127.0.0.1:0",
                secret: nil,
                options: DaemonOptions(pollInterval: .seconds(60)),
                version: "test"
            ),
            notifier: NoNotifications(),
            logger: logger
        )
        try await Application(router: daemon.router()).test(.router) { client in
            try await client.execute(uri: "/deployments/\(id)", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("plex 1.41.3, redis for app, old goes, sshd &lt;on&gt; @admin"))
                #expect(html.contains("by Fixture Author &lt;author@fixture.test&gt;"))
                #expect(html.contains("<code>lscr.io/linuxserver/plex:1.41.0 → 1.41.3</code>"))
                #expect(html.contains("new service redis: <code>redis:7</code>"))
                #expect(html.contains("<td>app</td><td>up</td><td class=\"bad\">failed"))
                #expect(html.contains("REDIS_PASSWORD=***"))
                #expect(!html.contains(secret))
            }
            try await client.execute(uri: "/deployments/\(id + 1)", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        // A successful deployment's notification names its image changes, read from git.
        let next = try store.beginDeployment(
            from: ObjectID(hex: from),
            to: ObjectID(hex: to),
            trigger: .poll,
            plan: plan.json()
        )
        try store.finishDeployment(next, result: .succeeded, message: nil)
        final class Collected: NotificationSink, @unchecked Sendable {
            let events = Mutex<[NotificationEvent]>([])
            func publish(_ event: NotificationEvent) { events.withLock { $0.append(event) } }
        }
        let collected = Collected()
        let loop = PollLoop(
            engine: engine,
            wakeup: Wakeup(),
            state: daemon.state,
            metrics: DaemonMetrics(version: "test"),
            notifier: collected,
            logger: logger,
            options: DaemonOptions(pollInterval: .seconds(60))
        )
        loop.record(.deployed(head: to, .succeeded, duration: .seconds(1)), trigger: .poll)
        let summary = collected.events.withLock { $0.first?.summary } ?? ""
        #expect(summary.hasPrefix("Deployed \(to.prefix(12)): "), "\(summary)")
        #expect(summary.contains("plex 1.41.0 → 1.41.3"), "\(summary)")

        let record = try #require(try store.deployment(id))
        let page = StatusPage.render(
            report: try await RecordingEngine().status(live: nil),
            daemon: daemon.state.snapshot,
            history: [record]
        )
        #expect(page.contains("<a href=\"/deployments/\(id)\">\(id)</a>"))
    }
}
