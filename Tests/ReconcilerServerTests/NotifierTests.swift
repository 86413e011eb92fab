import Foundation
import Logging
import ReconcilerCore
import Testing

@testable import ReconcilerServer

struct NotifierTests {
    @Test func commandGetsTheReconcilerEnvironment() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = "\(dir)/env.txt"
        let target = NotifyTarget(
            kind: .command,
            events: ["rolledBack"],
            command: ["/bin/sh", "-c", "env | grep ^RECONCILER_ | sort > \(out)"]
        )
        let notifier = Notifier(targets: [target], logger: Logger(label: "test"), retryDelays: [])
        notifier.publish(NotificationEvent(kind: .succeeded, commit: "aaaa", message: "not wanted"))
        notifier.publish(
            NotificationEvent(
                kind: .rolledBack,
                commit: "1234567890abcdef",
                units: ["plex", "sonarr/shows"],
                message: "plex unhealthy"
            )
        )
        await notifier.drain()
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("RECONCILER_COMMIT=1234567890abcdef"))
        #expect(text.contains("RECONCILER_RESULT=rolledBack"))
        #expect(text.contains("RECONCILER_UNITS=plex sonarr/shows"))
        #expect(text.contains("RECONCILER_MESSAGE=Deploy of 1234567890ab failed and was rolled back: plex unhealthy"))
    }

    @Test func aReceiverThatIsDownNeverBlocksThePublisher() async throws {
        let target = NotifyTarget(kind: .webhook, url: "http://127.0.0.1:9/hook")
        let notifier = Notifier(
            targets: [target],
            logger: Logger(label: "test"),
            retryDelays: [.milliseconds(200), .milliseconds(200)]
        )
        let start = ContinuousClock.now
        for _ in 0..<10 { notifier.publish(NotificationEvent(kind: .succeeded, commit: "abc", message: "")) }
        #expect(ContinuousClock.now - start < .milliseconds(100))
        await notifier.drain()
    }

    @Test func configDecodesEveryKind() throws {
        let json = """
            {"notify": [
              {"kind": "webhook", "url": "http://10.0.0.2/hook", "secretFile": "/etc/reconciler/notify.key"},
              {"kind": "ntfy", "url": "https://ntfy.sh/homelab", "events": ["failed", "degraded"]},
              {"kind": "discord", "url": "https://discord.com/api/webhooks/1/x"},
              {"kind": "gotify", "url": "https://gotify.lan", "tokenFile": "/etc/reconciler/gotify.token"},
              {"kind": "command", "command": ["/usr/local/bin/tell", "--loud"], "events": ["healed"]},
              {"url": "https://ntfy.sh/old", "format": "ntfy"}
            ], "notifyFetchFailureAfter": "10m"}
            """
        let config = try Config.decode(Data(json.utf8), source: "test")
        #expect(config.notify.map(\.kind) == [.webhook, .ntfy, .discord, .gotify, .command, .ntfy])
        #expect(config.notify[1].wants("failed") && !config.notify[1].wants("succeeded"))
        #expect(config.notify[0].wants("succeeded"))
        #expect(config.notify[4].command == ["/usr/local/bin/tell", "--loud"])
        #expect(config.notifyFetchFailureAfter == .seconds(600))
        #expect(throws: (any Error).self) {
            try Config.decode(Data(#"{"notify": [{"kind": "slack", "url": "https://x"}]}"#.utf8), source: "test")
        }
        #expect(throws: (any Error).self) {
            try Config.decode(
                Data(#"{"notify": [{"kind": "ntfy", "url": "https://x", "events": ["deployed"]}]}"#.utf8),
                source: "test"
            )
        }
        #expect(throws: (any Error).self) {
            try Config.decode(Data(#"{"notify": [{"kind": "command"}]}"#.utf8), source: "test")
        }
    }
}
