import Crypto
import Foundation
import Logging
import ReconcilerCore
import Synchronization

/// Builds the notifier the configuration's `notify` entries ask for.
package enum Notifications {
    package static func make(config: Config, logger: Logger) -> any NotificationSink {
        Notifier.checkURLFiles(config.notify, logger: logger)
        return config.notify.isEmpty ? NoNotifications() : Notifier(targets: config.notify, logger: logger)
    }
}

/// Sends events to the `notify` entries that want them, each in its own task: a slow or failing receiver never
/// blocks or fails a deploy. Failed sends are retried with back-off; the same failure is logged at most once an hour.
package final class Notifier: NotificationSink {
    let targets: [NotifyTarget]
    let logger: Logger
    let poster: HTTPPoster
    /// Delays before the 2nd, 3rd … attempt.
    let retryDelays: [Duration]
    private let lastLogged = Mutex<[String: ContinuousClock.Instant]>([:])
    private let inFlight = Mutex<[Task<Void, Never>]>([])

    package init(
        targets: [NotifyTarget],
        logger: Logger,
        poster: HTTPPoster = HTTPPoster(),
        retryDelays: [Duration] = [.seconds(2), .seconds(10), .seconds(60)]
    ) {
        self.targets = targets
        self.logger = logger
        self.poster = poster
        self.retryDelays = retryDelays
    }

    package func publish(_ event: NotificationEvent) {
        for (index, target) in targets.enumerated() where target.wants(event.kind.rawValue) {
            let task = Task.detached { [self] in await deliver(event, to: target, index: index) }
            inFlight.withLock { tasks in
                tasks.removeAll { $0.isCancelled }
                if tasks.count > 100 { tasks.removeFirst(tasks.count - 100) }
                tasks.append(task)
            }
        }
    }

    /// Waits for the sends started so far (tests).
    package func drain() async {
        let tasks = inFlight.withLock { $0 }
        for task in tasks { await task.value }
    }

    func deliver(_ event: NotificationEvent, to target: NotifyTarget, index: Int) async {
        var lastError = ""
        for attempt in 0...retryDelays.count {
            if attempt > 0 { try? await Task.sleep(for: retryDelays[attempt - 1]) }
            do {
                try await send(event, to: target, index: index)
                logger.debug(
                    "notified",
                    metadata: [
                        "notify.index": "\(index)", "notify.kind": "\(target.kind.rawValue)",
                        "event": "\(event.kind.rawValue)",
                    ]
                )
                return
            } catch {
                lastError = "\(error)"
            }
        }
        let key = "\(index)|\(lastError)"
        let now = ContinuousClock.now
        let log = lastLogged.withLock { seen -> Bool in
            if let last = seen[key], now - last < .seconds(3600) { return false }
            seen[key] = now
            return true
        }
        if log {
            logger.warning(
                "notification failed; the same failure is logged again in an hour at the earliest",
                metadata: [
                    "notify.index": "\(index)", "notify.kind": "\(target.kind.rawValue)",
                    "event": "\(event.kind.rawValue)", "attempts": "\(retryDelays.count + 1)", "error": "\(lastError)",
                ]
            )
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func send(_ event: NotificationEvent, to target: NotifyTarget, index: Int = 0) async throws {
        // No secret value is ever sent: the run's masker over the message.
        let event = NotificationEvent(
            kind: event.kind,
            commit: event.commit,
            units: event.units,
            message: SecretMasker.shared.mask(event.message),
            at: event.at
        )
        let url = try target.kind == .command ? "" : Self.destination(of: target, index: index)
        switch target.kind {
        case .command:
            let runner = ProcessRunner(logger: logger)
            let environment = [
                "RECONCILER_COMMIT": event.commit ?? "",
                "RECONCILER_RESULT": event.result,
                "RECONCILER_UNITS": event.units.joined(separator: " "),
                "RECONCILER_MESSAGE": event.summary,
            ]
            let result = try await runner.run(target.command, in: "/", environment: environment, timeout: .seconds(60))
            if !result.succeeded { throw Failure(description: "\(target.command.first ?? "") exited \(result.status)") }
            return
        case .webhook:
            let body = Self.webhookBody(event)
            var headers = [("Content-Type", "application/json")]
            if let file = target.secretFile {
                let key = try Self.readSecret(file)
                let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: key))
                headers.append(("X-Reconciler-Signature", "sha256=" + WebhookVerifier.hex(Array(mac))))
            }
            try await check(poster.post(url, headers: headers, body: body))
        case .ntfy:
            var headers = [
                ("Title", "reconciler: \(event.kind.rawValue)"),
                (
                    "Tags",
                    [.succeeded, .healed, .recovered].contains(event.kind) ? "white_check_mark" : "warning"
                ),
                (
                    "Priority",
                    [.degraded, .rolledBack, .failed, .healBudgetExhausted, .outage].contains(event.kind)
                        ? "high" : "default"
                ),
            ]
            if let file = target.tokenFile { headers.append(("Authorization", "Bearer \(try Self.readToken(file))")) }
            try await check(poster.post(url, headers: headers, body: Data(event.summary.utf8)))
        case .discord:
            let body = try JSONSerialization.data(withJSONObject: ["content": event.summary, "username": "reconciler"])
            try await check(poster.post(url, headers: [("Content-Type", "application/json")], body: body))
        case .gotify:
            var headers = [("Content-Type", "application/json")]
            if let file = target.tokenFile { headers.append(("X-Gotify-Key", try Self.readToken(file))) }
            let body = try JSONSerialization.data(withJSONObject: [
                "title": "reconciler: \(event.kind.rawValue)", "message": event.summary,
                "priority": [.succeeded, .healed, .recovered].contains(event.kind) ? 4 : 8,
            ])
            let messages =
                url.hasSuffix("/message")
                ? url : url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/message"
            try await check(poster.post(messages, headers: headers, body: body))
        }
    }

    private func check(_ status: Int) throws {
        guard (200..<300).contains(status) else { throw Failure(description: "the receiver answered HTTP \(status)") }
    }

    static func webhookBody(_ event: NotificationEvent) -> Data {
        var object: [String: Any] = [
            "event": event.kind.rawValue, "result": event.result, "units": event.units, "message": event.message,
            "summary": event.summary, "at": event.at.formatted(.iso8601),
        ]
        if let commit = event.commit { object["commit"] = commit }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    static func readToken(_ path: String) throws -> String {
        let token = String(decoding: try readSecret(path), as: UTF8.self)
        SecretMasker.shared.add(token)
        return token
    }

    static func readSecret(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "cannot read \(path)")
        }
        return Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
    }
}
