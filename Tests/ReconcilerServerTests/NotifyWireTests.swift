import Foundation
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

@testable import ReconcilerServer

/// Plain-HTTP notifications as they go over the wire (``RawHTTPReceiver`` records the bytes): the request target is
/// the URL's path as written, percent-encoded, and a line break can never reach the request line.
@Suite struct NotifyWireTests {
    @Test func theRequestTargetIsTheURLsPathAsWrittenPercentEncoded() async throws {
        let receiver = try RawHTTPReceiver()
        defer { receiver.stop() }
        let url = "http://127.0.0.1:\(receiver.port)/hook%20one/a%2Fb/%C3%BC?q=%26z&r=%20"
        #expect(
            try await HTTPPoster().post(url, headers: [("Content-Type", "text/plain")], body: Data("hi".utf8)) == 200
        )
        let requests = try #require(receiver.waitForRequests(1))
        #expect(requests[0].hasPrefix("POST /hook%20one/a%2Fb/%C3%BC?q=%26z&r=%20 HTTP/1.1\r\n"), "\(requests[0])")
    }

    @Test func anEncodedLineBreakNeverInjectsAHeader() async throws {
        let receiver = try RawHTTPReceiver()
        defer { receiver.stop() }
        let base = "http://127.0.0.1:\(receiver.port)"
        for evil in ["/hook%0d%0aX-Injected:%20yes", "/hook?x=%0AX-Injected:%20yes", "/hook%0D%0A%0D%0AGET%20/"] {
            let error = await #expect(throws: WireHTTPError.self) {
                try await HTTPPoster().post(base + evil, headers: [], body: Data("{}".utf8))
            }
            #expect("\(error.map { "\($0)" } ?? "")".contains("control character"), "\(evil)")
        }
        // The client itself refuses a target or header with a line break, whoever calls it.
        let client = WireHTTPClient(.tcp(host: "127.0.0.1", port: receiver.port))
        #expect(throws: WireHTTPError.self) { try client.send(method: "POST", path: "/a\r\nX-Injected: yes") }
        #expect(throws: WireHTTPError.self) {
            try client.send(method: "POST", path: "/a", headers: [("X-Ok", "v\r\nX-Injected: yes")])
        }
        // Nothing of it arrived: the first request the receiver sees is the clean one sent after.
        #expect(try await HTTPPoster().post(base + "/clean", headers: [], body: Data("{}".utf8)) == 200)
        let requests = try #require(receiver.waitForRequests(1))
        #expect(requests.count == 1)
        #expect(requests[0].hasPrefix("POST /clean HTTP/1.1\r\n"))
        #expect(!requests.joined().contains("X-Injected"))
    }
}

/// `notify[].urlFile`: the URL lives in a private host file, read at each send, and is masked.
@Suite struct NotifyURLFileTests {
    private func target(_ path: String) -> NotifyTarget {
        var target = NotifyTarget(kind: .webhook)
        target.urlFile = path
        return target
    }

    private func write(_ text: String, to path: String, mode: Int = 0o600) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    @Test func theFileIsReadAtEachSendSoRotatingItNeedsNoRestart() async throws {
        let receiver = try RawHTTPReceiver()
        defer { receiver.stop() }
        let directory = try TemporaryDirectory(prefix: "urlfile")
        defer { directory.remove() }
        let file = directory.appending("notify.url")
        let tag = UUID().uuidString.prefix(8).lowercased()
        let first = "first-token-\(tag)"
        let second = "second-token-\(tag)"
        try write("http://127.0.0.1:\(receiver.port)/hooks/\(first)\n", to: file)
        let notifier = Notifier(targets: [target(file)], logger: Logger(label: "test"), retryDelays: [])

        notifier.publish(NotificationEvent(kind: .succeeded, commit: "abc", message: "one"))
        await notifier.drain()
        try write("http://127.0.0.1:\(receiver.port)/hooks/\(second)?k=\(tag)-key\n", to: file)
        notifier.publish(NotificationEvent(kind: .succeeded, commit: "abc", message: "two"))
        await notifier.drain()

        let requests = try #require(receiver.waitForRequests(2))
        #expect(requests[0].hasPrefix("POST /hooks/\(first) HTTP/1.1\r\n"), "\(requests[0])")
        #expect(requests[1].hasPrefix("POST /hooks/\(second)?k=\(tag)-key HTTP/1.1\r\n"), "\(requests[1])")
        // The file's content is a secret from the moment it is read: in a log line, an error, a notification.
        let said =
            "posting to http://127.0.0.1:\(receiver.port)/hooks/\(second)?k=\(tag)-key failed; \(first) \(tag)-key"
        let masked = SecretMasker.shared.mask(said)
        for secret in [first, second, "\(tag)-key"] { #expect(!masked.contains(secret), "\(masked)") }
    }

    @Test func aMissingPublicOrBadFileIsAnErrorNamingTheEntryAndTheFile() throws {
        let directory = try TemporaryDirectory(prefix: "urlfile-bad")
        defer { directory.remove() }
        let file = directory.appending("discord.url")
        var discord = target(file)
        discord.kind = .discord
        func failure() -> String {
            do {
                _ = try Notifier.destination(of: discord, index: 2)
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(failure().hasPrefix("notify[2] (discord): its urlFile \(file) does not exist"), "\(failure())")
        try write("https://discord.example/api/webhooks/1/public-token-value\n", to: file, mode: 0o644)
        #expect(failure().contains("notify[2] (discord): its urlFile \(file) is readable by group or others"))
        #expect(failure().contains("chmod 600 \(file)"))
        #expect(!failure().contains("public-token-value"))
        try write("\n", to: file)
        #expect(failure() == "notify[2] (discord): its urlFile \(file) is empty; write the URL into it")
        try write("http://127.0.0.1:9/x%0d%0aX-Injected:%20bad-token-value\n", to: file)
        #expect(failure().contains("notify[2] (discord): the URL in its urlFile \(file) holds the percent-encoded"))
        #expect(!failure().contains("bad-token-value"))
        try write("https://discord.example/api/webhooks/1/good-token-value\n", to: file)
        #expect(
            try Notifier.destination(of: discord, index: 2) == "https://discord.example/api/webhooks/1/good-token-value"
        )
    }
}
