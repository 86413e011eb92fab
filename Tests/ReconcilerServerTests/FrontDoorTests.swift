import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ReconcilerCore
import Synchronization
import Testing

@testable import ReconcilerServer

/// A clock the tests move by hand.
final class ManualClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    var now: ContinuousClock.Instant { instant.withLock { $0 } }
    var read: @Sendable () -> ContinuousClock.Instant { { self.now } }

    func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
}

/// Verify first, then limit; duplicates; counted log lines; the connection budget.
struct FrontDoorTests {
    static let secret = "front-door-secret-\(UUID().uuidString)"

    /// The webhook routes over a limiter that does not make the test wait.
    func router(
        limiter: FailureLimiter = FailureLimiter(slowdown: .zero, maxWait: .zero),
        wakeup: Wakeup,
        logger: Logger = Logger(label: "test")
    ) -> Router<DaemonRequestContext> {
        let router = Router(context: DaemonRequestContext.self)
        WebhookRoutes(
            verifier: WebhookVerifier(secret: Array(Self.secret.utf8)),
            limiter: limiter,
            wakeup: wakeup,
            metrics: DaemonMetrics(version: "test"),
            state: DaemonState(DaemonSnapshot(startedAt: Date(), pollInterval: .seconds(60), healWindow: .seconds(60))),
            branch: { "main" },
            logger: logger
        ).add(to: router)
        return router
    }

    func generic(_ body: [UInt8], secret: String = Self.secret, delivery: String? = nil) -> HTTPFields {
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Reconciler-Signature")!] = WebhookVerifier(secret: Array(secret.utf8)).signature(body)
        if let delivery { headers[HTTPField.Name("X-Reconciler-Delivery")!] = delivery }
        return headers
    }

    @Test func aSignedDeliveryIsAcceptedWhateverElseCameFromItsAddress() async throws {
        let wakeup = Wakeup()
        let body = Array("{}".utf8)
        let app = Application(router: router(wakeup: wakeup))
        try await app.test(.router) { client in
            for _ in 0..<30 {
                try await client.execute(
                    uri: "/hooks/generic",
                    method: .post,
                    headers: generic(body, secret: "wrong-secret-wrong-secret"),
                    body: ByteBuffer(bytes: body)
                ) { #expect([.unauthorized, .tooManyRequests].contains($0.status)) }
            }
            try await client.execute(
                uri: "/hooks/generic",
                method: .post,
                headers: generic(body, secret: "wrong-secret-wrong-secret"),
                body: ByteBuffer(bytes: body)
            ) { #expect($0.status == .tooManyRequests, "the source is locked out by now") }
            try await client.execute(
                uri: "/hooks/generic",
                method: .post,
                headers: generic(body),
                body: ByteBuffer(bytes: body)
            ) { #expect($0.status == .accepted, "\(String(buffer: $0.body))") }
        }
        #expect(wakeup.hasPending)
    }

    @Test func aLockedOutSourceIsSlowedAndTheQueueCapsVerificationWork() {
        let clock = ManualClock()
        let limiter = FailureLimiter(
            limit: 2,
            globalLimit: 5,
            spacing: .milliseconds(100),
            slowdown: .seconds(1),
            maxWait: .seconds(3),
            clock: clock.read
        )
        #expect(limiter.delay(for: "10.0.0.1") == .zero)
        for _ in 0..<3 { limiter.recordFailure("10.0.0.1") }
        #expect(limiter.isLocked("10.0.0.1"))
        #expect(!limiter.isLocked("10.0.0.2"), "one source's failures slow only that source")
        #expect(limiter.delay(for: "10.0.0.1") == .seconds(1))
        #expect(limiter.delay(for: "10.0.0.1") == .milliseconds(1100), "one verification per spacing")
        for _ in 0..<30 { _ = limiter.delay(for: "10.0.0.1") }
        #expect(limiter.delay(for: "10.0.0.1") == .seconds(3), "never more than maxWait: slowed, not refused")
        clock.advance(.seconds(61))
        #expect(!limiter.isLocked("10.0.0.1"), "the lockout ends with its window")
        // Failures from many addresses lock everybody out.
        for n in 0..<6 { limiter.recordFailure("10.0.1.\(n)") }
        #expect(limiter.isLocked("10.9.9.9"))
        clock.advance(.seconds(61))
        #expect(!limiter.isLocked("10.9.9.9"))
    }

    @Test func aDeliverySeenWithinTheHourIsADuplicateAndWakesNothing() async throws {
        let wakeup = Wakeup()
        let body = Array("{}".utf8)
        let app = Application(router: router(wakeup: wakeup))
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/hooks/generic",
                method: .post,
                headers: generic(body, delivery: "d-1"),
                body: ByteBuffer(bytes: body)
            ) { #expect($0.status == .accepted) }
            #expect(wakeup.drain() != nil)
            try await client.execute(
                uri: "/hooks/generic",
                method: .post,
                headers: generic(body, delivery: "d-1"),
                body: ByteBuffer(bytes: body)
            ) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body) == "{\"accepted\":false,\"duplicate\":true}\n")
            }
        }
        #expect(!wakeup.hasPending, "a duplicate wakes nothing")
    }

    @Test func deliveryIdsAreForgottenAfterAnHour() {
        let clock = ManualClock()
        let log = DeliveryLog(capacity: 3, clock: clock.read)
        #expect(log.firstSighting("a"))
        #expect(!log.firstSighting("a"))
        clock.advance(.seconds(3599))
        #expect(!log.firstSighting("a"))
        clock.advance(.seconds(2))
        #expect(log.firstSighting("a"), "seen more than an hour ago")
        for id in ["b", "c", "d", "e"] { #expect(log.firstSighting(id)) }
        #expect(log.firstSighting("a"), "the oldest is forgotten past the capacity")
        var headers = ["X-GitHub-Delivery": "gh", "X-Gitea-Delivery": "gt", "X-Gitlab-Event-UUID": "gl"]
        let lookup: (String) -> String? = { name in headers.first { $0.key.lowercased() == name.lowercased() }?.value }
        #expect(DeliveryLog.id(.github, header: lookup) == "gh")
        #expect(DeliveryLog.id(.gitlab, header: lookup) == "gl")
        headers["X-GitHub-Delivery"] = nil
        #expect(
            DeliveryLog.id(
                .gitea,
                header: { name in headers.first { $0.key.lowercased() == name.lowercased() }?.value }
            ) == "gt"
        )
    }

    @Test func eachKindOfRefusalIsLoggedOnceAMinuteWithACount() {
        let clock = ManualClock()
        let tally = ProblemTally(clock: clock.read)
        #expect(tally.count("unauthorized") == 1, "the first is logged at once")
        for _ in 0..<50 { #expect(tally.count("unauthorized") == nil) }
        #expect(tally.count("too_large") == 1, "another kind has its own minute")
        clock.advance(.seconds(60))
        #expect(tally.count("unauthorized") == 51, "the next line says how many came")
        #expect(tally.count("unauthorized") == nil)
    }

    @Test func oversizeAndMalformedRequestsCountTowardTheLockout() async throws {
        let limiter = FailureLimiter(limit: 3, slowdown: .zero, maxWait: .zero)
        let wakeup = Wakeup()
        let app = Application(router: router(limiter: limiter, wakeup: wakeup))
        let big = [UInt8](repeating: 32, count: (1 << 20) + 1)
        try await app.test(.router) { client in
            for _ in 0..<2 {
                try await client.execute(uri: "/hooks/generic", method: .post, body: ByteBuffer(bytes: big)) {
                    #expect($0.status == .contentTooLarge)
                }
            }
            let notJSON = Array("not json".utf8)
            for _ in 0..<2 {
                try await client.execute(
                    uri: "/hooks/generic",
                    method: .post,
                    headers: generic(notJSON),
                    body: ByteBuffer(bytes: notJSON)
                ) { #expect($0.status == .badRequest) }
            }
        }
        #expect(limiter.isLocked("local"), "two oversize and two malformed requests: over the limit of 3")
    }

    @Test func theConnectionBudgetKeepsDescriptorsForDeploys() {
        let low = ConnectionLimits.forFileLimit(256, open: 20)
        #expect(low.reserved == 64)
        #expect(low.hardConnections == 256 - 20 - 64 - 2 * ConnectionLimits.triggerConnections)
        #expect(low.connections < low.hardConnections)
        let systemd = ConnectionLimits.forFileLimit(1024, open: 20)
        #expect(systemd.reserved == 256)
        #expect(systemd.hardConnections + systemd.reserved + 20 < 1024)
        #expect(ConnectionLimits.forFileLimit(524_288, open: 20).hardConnections == 1024)
        #expect(ConnectionLimits.forFileLimit(64, open: 20).hardConnections == 8)
    }

    @Test func theStatusPageDropsControlCharactersAndCarriesSecurityHeaders() async throws {
        #expect(StatusPage.e("fix\u{1B}[2Jdeploy\u{07} <b>\ttab\n") == "fix[2Jdeploy &lt;b&gt;\ttab\n")
        let engine = RecordingEngine()
        let daemon = Daemon(
            engine: engine,
            settings: .init(
                stateDirectory: "/nonexistent",
                listen: "127.0.0.1:0",
                secret: nil,
                options: DaemonOptions(pollInterval: .seconds(60)),
                version: "test"
            ),
            notifier: NoNotifications(),
            logger: Logger(label: "test")
        )
        try await Application(router: daemon.router()).test(.router) { client in
            try await client.execute(uri: "/", method: .get) {
                #expect($0.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect($0.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect($0.headers[.xContentTypeOptions] == "nosniff")
            }
            try await client.execute(uri: "/healthz", method: .head) { #expect($0.status == .ok) }
            try await client.execute(uri: "/hooks/github", method: .post) {
                #expect($0.status == .notFound)
                #expect(String(buffer: $0.body).contains("webhooks are off"))
            }
        }
    }

    @Test func statusIsBuiltFromWhatThePollLoopSaw() async throws {
        let engine = RecordingEngine()
        let clock = ManualClock()
        let view = StatusView(engine: engine, clock: clock.read)
        _ = try await view.report()
        let container = EngineContainer(
            id: "c1",
            name: "plex-plex-1",
            project: "plex",
            service: "plex",
            state: "running",
            status: "Up",
            oneOff: false
        )
        view.observe([LiveUnit(id: "plex", project: "plex", recordedState: .running, containers: [container])])
        for _ in 0..<20 { _ = try await view.report() }
        var statuses = engine.calls.withLock { $0.statuses }
        #expect(statuses == [nil, ["plex": "running(1)"]], "one report per look of the loop, never one per request")
        clock.advance(.seconds(2))
        _ = try await view.report()
        statuses = engine.calls.withLock { $0.statuses }
        #expect(statuses.count == 3 && statuses.last == ["plex": "running(1)"], "rebuilt after a second, same look")
    }
}
