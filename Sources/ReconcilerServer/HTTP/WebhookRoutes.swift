import Foundation
import Hummingbird
import Logging
import NIOCore

/// `POST /hooks/{github,gitea,gitlab,generic}`: verify first, then limit, decide, and ask the loop for a poll.
///
/// A correctly signed delivery is always accepted, whatever else came from its address: failures (bad signatures,
/// oversize, malformed or cut-off requests) only slow their source down (``FailureLimiter``), and each kind is logged
/// once a minute with a count (``ProblemTally``). A delivery id seen within the hour is a duplicate: 200, no poll.
package struct WebhookRoutes: Sendable {
    package static let maxBody = 1 << 20

    let verifier: WebhookVerifier
    let limiter: FailureLimiter
    let deliveries: DeliveryLog
    let tally: ProblemTally
    let wakeup: Wakeup
    let metrics: DaemonMetrics
    let state: DaemonState
    let branch: @Sendable () -> String
    let logger: Logger

    package init(
        verifier: WebhookVerifier,
        limiter: FailureLimiter = FailureLimiter(),
        deliveries: DeliveryLog = DeliveryLog(),
        tally: ProblemTally = ProblemTally(),
        wakeup: Wakeup,
        metrics: DaemonMetrics,
        state: DaemonState,
        branch: @escaping @Sendable () -> String,
        logger: Logger
    ) {
        self.verifier = verifier
        self.limiter = limiter
        self.deliveries = deliveries
        self.tally = tally
        self.wakeup = wakeup
        self.metrics = metrics
        self.state = state
        self.branch = branch
        self.logger = logger
    }

    package func add(to router: Router<DaemonRequestContext>) {
        router.post("/hooks/:provider") { request, context in
            try await handle(request, context: context)
        }
    }

    func handle(_ request: Request, context: DaemonRequestContext) async throws -> Response {
        guard let name = context.parameters.get("provider"), let provider = WebhookProvider(rawValue: name) else {
            throw DaemonHTTPError(
                .notFound,
                "unknown webhook route; use /hooks/github, /hooks/gitea, /hooks/gitlab or /hooks/generic"
            )
        }
        let address = context.remoteAddress
        var log = logger
        log[metadataKey: "provider"] = "\(provider.rawValue)"
        log[metadataKey: "remote"] = "\(address)"
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maxBody {
            throw refuse(.tooLarge, provider: provider, address: address, log: log, bytes: length)
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBody)
        } catch is NIOTooManyBytesError {
            throw refuse(.tooLarge, provider: provider, address: address, log: log)
        } catch {
            // The client hung up (or stalled past the body deadline) before the body was complete.
            throw refuse(.incomplete, provider: provider, address: address, log: log)
        }
        // A source that keeps failing waits its turn before its signature is checked; a good one still gets in.
        let delay = limiter.delay(for: address)
        if delay > .zero { try await Task.sleep(for: delay) }
        let body = Array(buffer.readableBytesView)
        let headers = request.headers
        let header: (String) -> String? = { name in
            headers.first { $0.name.canonicalName == name.lowercased() }?.value
        }
        guard verifier.verify(provider, body: body, header: header) else {
            throw refuse(.unauthorized, provider: provider, address: address, log: log)
        }
        if let id = DeliveryLog.id(provider, header: header), !deliveries.firstSighting(id) {
            metrics.webhook(provider: provider, result: "duplicate")
            log.info("webhook: duplicate delivery, ignored", metadata: ["delivery": "\(id)"])
            return Reply.json(.ok, WebhookAnswer(accepted: false, duplicate: true))
        }
        switch PushEvent.decide(provider, header: header, body: body, branch: branch()) {
        case .push(let commit):
            let fresh = wakeup.request(.webhook)
            metrics.webhook(provider: provider, result: "accepted")
            state.update { $0.webhooks += 1 }
            log.info(
                "webhook: push accepted, poll queued",
                metadata: ["commit": "\(commit.map { String($0.prefix(12)) } ?? "-")", "coalesced": "\(!fresh)"]
            )
            return Reply.json(.accepted, WebhookAnswer(accepted: true, poll: "queued"))
        case .ping:
            metrics.webhook(provider: provider, result: "ping")
            log.info("webhook: ping")
            return Reply.json(.ok, WebhookAnswer(ok: true, pong: true))
        case .ignored(let why):
            metrics.webhook(provider: provider, result: "ignored")
            log.info("webhook: ignored", metadata: ["why": "\(why)"])
            return Reply.json(.accepted, WebhookAnswer(accepted: false, ignored: why))
        case .invalid(let why):
            throw refuse(.invalid(why), provider: provider, address: address, log: log)
        }
    }

    /// Why a delivery was refused.
    enum Refusal {
        case tooLarge, incomplete, unauthorized
        case invalid(String)

        var kind: String {
            switch self {
            case .tooLarge: "too_large"
            case .incomplete: "incomplete"
            case .unauthorized: "unauthorized"
            case .invalid: "invalid"
            }
        }
    }

    /// Counts a failure against its source, logs its kind at most once a minute, and makes the answer.
    private func refuse(
        _ refusal: Refusal,
        provider: WebhookProvider,
        address: String,
        log: Logger,
        bytes: Int? = nil
    ) -> DaemonHTTPError {
        metrics.webhook(provider: provider, result: refusal.kind)
        let locked = limiter.recordFailure(address)
        let slowed = locked || limiter.isLocked(address)
        let error: DaemonHTTPError
        let line: Logger.Message
        switch refusal {
        case .tooLarge:
            line = "webhook: body too large"
            error = DaemonHTTPError(.contentTooLarge, "body larger than 1 MiB")
        case .incomplete:
            line = "webhook: the client hung up before the body was complete"
            error = DaemonHTTPError(.badRequest, "incomplete body")
        case .unauthorized:
            line = "webhook: bad or missing signature"
            error =
                slowed
                ? DaemonHTTPError(.tooManyRequests, "bad or missing signature; too many from \(address), slowed down")
                : DaemonHTTPError(.unauthorized, "bad or missing signature")
        case .invalid(let why):
            line = "webhook: invalid payload"
            error = DaemonHTTPError(.badRequest, why)
        }
        if let count = tally.count(refusal.kind) {
            var metadata: Logger.Metadata = ["count": "\(count)", "per": "\(Int(tally.interval.seconds)) s"]
            if let bytes { metadata["bytes"] = "\(bytes)" }
            if slowed { metadata["slowed.seconds"] = "\(Int(limiter.window.seconds))" }
            if case .invalid(let why) = refusal { metadata["why"] = "\(why)" }
            log.warning(line, metadata: metadata)
        }
        return error
    }
}

/// A webhook's answer (keys left out when nil).
struct WebhookAnswer: Codable, Sendable, Equatable {
    var accepted: Bool?
    var poll: String?
    var ok: Bool?
    var pong: Bool?
    var ignored: String?
    var duplicate: Bool?
}

/// The trigger socket's answer.
struct PollAnswer: Codable, Sendable, Equatable {
    var accepted: Bool
    var poll: String
}
