import Foundation
import Hummingbird
import Logging
import NIOCore

/// `POST /hooks/{github,gitea,gitlab,generic}`: verify, decide, and ask the loop for a poll.
package struct WebhookRoutes: Sendable {
    package static let maxBody = 1 << 20

    let verifier: WebhookVerifier
    let limiter: FailureLimiter
    let wakeup: Wakeup
    let metrics: DaemonMetrics
    let state: DaemonState
    let branch: @Sendable () -> String
    let logger: Logger

    package init(
        verifier: WebhookVerifier,
        limiter: FailureLimiter,
        wakeup: Wakeup,
        metrics: DaemonMetrics,
        state: DaemonState,
        branch: @escaping @Sendable () -> String,
        logger: Logger
    ) {
        self.verifier = verifier
        self.limiter = limiter
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
            return Reply.json(
                .notFound,
                ["error": "unknown webhook route; use /hooks/github, /hooks/gitea, /hooks/gitlab or /hooks/generic"]
            )
        }
        let address = context.remoteAddress
        var log = logger
        log[metadataKey: "provider"] = "\(provider.rawValue)"
        log[metadataKey: "remote"] = "\(address)"
        if limiter.isBlocked(address) {
            metrics.webhook(provider: provider, result: "rate_limited")
            return Reply.json(
                .tooManyRequests,
                ["error": "too many bad signatures from \(address); try again in a minute"]
            )
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maxBody {
            metrics.webhook(provider: provider, result: "too_large")
            log.warning("webhook: body too large", metadata: ["bytes": "\(length)"])
            return Reply.json(.contentTooLarge, ["error": "body larger than 1 MiB"])
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBody)
        } catch {
            metrics.webhook(provider: provider, result: "too_large")
            log.warning("webhook: body too large")
            return Reply.json(.contentTooLarge, ["error": "body larger than 1 MiB"])
        }
        let body = Array(buffer.readableBytesView)
        let headers = request.headers
        let header: (String) -> String? = { name in
            headers.first { $0.name.canonicalName == name.lowercased() }?.value
        }
        guard verifier.verify(provider, body: body, header: header) else {
            metrics.webhook(provider: provider, result: "unauthorized")
            let locked = limiter.recordFailure(address)
            log.warning(
                "webhook: bad or missing signature",
                metadata: locked ? ["locked.out.seconds": "\(Int(limiter.window.seconds))"] : [:]
            )
            return Reply.json(.unauthorized, ["error": "bad or missing signature"])
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
            return Reply.json(.accepted, ["accepted": true, "poll": "queued"])
        case .ping:
            metrics.webhook(provider: provider, result: "ping")
            log.info("webhook: ping")
            return Reply.json(.ok, ["ok": true, "pong": true])
        case .ignored(let why):
            metrics.webhook(provider: provider, result: "ignored")
            log.info("webhook: ignored", metadata: ["why": "\(why)"])
            return Reply.json(.accepted, ["accepted": false, "ignored": why])
        case .invalid(let why):
            metrics.webhook(provider: provider, result: "invalid")
            log.warning("webhook: invalid payload", metadata: ["why": "\(why)"])
            return Reply.json(.badRequest, ["error": why])
        }
    }
}
