import Foundation
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

@testable import ReconcilerServer

/// `https://` notifications through the real `curl` program to a real local HTTPS receiver (``TLSReceiver``), trusted
/// through `CURL_CA_BUNDLE`, never by turning verification off.
struct HTTPPosterTests {
    @Test func anHTTPSPostArrivesByteForByteAndItsStatusComesBack() async throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        let poster = HTTPPoster(timeout: .seconds(20), environment: receiver.curlEnvironment)
        let url = "https://127.0.0.1:\(receiver.port)/api/webhooks/123/s3cr%20et-token?x=1&y=%22q%22"
        let headers = [
            ("Content-Type", "application/json"), ("X-Gotify-Key", #"tok\en "quoted""#),
            ("Title", "reconciler: rolledBack"), ("X-Empty", ""),
        ]
        // A leading @ (no file is read), quotes, backslashes, CR, LF, tab, vertical tab and UTF-8.
        let body = Data("@/etc/passwd {\"a\": \"b\\\\c\"}\r\nline two\twith tab\u{0B} — ü\n".utf8)

        #expect(try await poster.post(url, headers: headers, body: body) == 200)
        try receiver.answer(500)
        #expect(try await poster.post(url, headers: headers, body: body) == 500)

        let requests = try receiver.requests()
        try #require(requests.count == 2)
        for request in requests {
            #expect(request.method == "POST")
            #expect(request.path == "/api/webhooks/123/s3cr%20et-token?x=1&y=%22q%22")
            #expect(request.body == body)
            let sent = request.headers.filter { name, _ in headers.contains { $0.0 == name } }
            #expect(sent.map(\.0) == headers.map(\.0))
            #expect(sent.map(\.1) == headers.map(\.1))
            #expect(request.headers.contains { $0 == ("Content-Length", "\(body.count)") })
            #expect(request.headers.contains { $0 == ("User-Agent", "reconciler") })
            #expect(!request.headers.contains { $0.0 == "Expect" })
        }
    }

    @Test func aLargeBodyWithANulByteArrivesWhole() async throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        let poster = HTTPPoster(timeout: .seconds(20), environment: receiver.curlEnvironment)
        // Longer than a curl config line may be, and a byte a config line cannot hold: sent from a file instead.
        var body = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        body[10] = 0
        let status = try await poster.post(
            "https://127.0.0.1:\(receiver.port)/big",
            headers: [("Content-Type", "application/octet-stream")],
            body: body
        )
        #expect(status == 200)
        let requests = try receiver.requests()
        try #require(requests.count == 1)
        #expect(requests[0].body == body)
    }

    @Test func aCertificateTheCADidNotSignIsRefusedAndNothingIsDelivered() async throws {
        let receiver = try TLSReceiver(signedByTheCA: false)
        defer { receiver.stop() }
        let poster = HTTPPoster(timeout: .seconds(20), environment: receiver.curlEnvironment)
        let error = await #expect(throws: WireHTTPError.self) {
            try await poster.post(
                "https://127.0.0.1:\(receiver.port)/message?token=not-for-impostors",
                headers: [("X-Gotify-Key", "gotify-app-token")],
                body: Data("{}".utf8)
            )
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.hasPrefix("https://127.0.0.1:\(receiver.port): curl exited 60"), "\(text)")
        #expect(text.contains("certificate"), "\(text)")
        #expect(!text.contains("not-for-impostors") && !text.contains("gotify-app-token") && !text.contains("/message"))
        #expect(try receiver.requests().isEmpty)
    }

    @Test func aRedirectIsAnswerNotFollowed() async throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        try receiver.answer(302)
        let poster = HTTPPoster(timeout: .seconds(20), environment: receiver.curlEnvironment)
        let status = try await poster.post("https://127.0.0.1:\(receiver.port)/hook", headers: [], body: Data("x".utf8))
        #expect(status == 302)
        #expect(try receiver.requests().map(\.path) == ["/hook"])
    }

    @Test func curlsCommandLineHoldsNeitherTheURLNorAToken() async throws {
        let dir = try TemporaryDirectory(prefix: "curl-standin")
        defer { dir.remove() }
        // A stand-in `curl` that records its arguments, its own /proc cmdline (what other users see) and its stdin.
        let script = """
            #!/bin/sh
            printf '%s\\n' "$@" > \(dir.path)/args
            /usr/bin/tr '\\0' '\\n' < /proc/$$/cmdline > \(dir.path)/cmdline
            /bin/cat > \(dir.path)/stdin
            printf 204
            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: dir.appending("curl")))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.appending("curl"))
        let poster = HTTPPoster(environment: ["PATH": dir.path], curlFallbacks: [])
        let status = try await poster.post(
            "https://discord.example/api/webhooks/42/webhook-token-123?wait=true",
            headers: [("Authorization", "Bearer ntfy-access-token")],
            body: Data("deploy failed".utf8)
        )
        #expect(status == 204)
        let args = try String(contentsOfFile: dir.appending("args"), encoding: .utf8)
        #expect(args == "-q\n--config\n-\n")
        let cmdline = try String(contentsOfFile: dir.appending("cmdline"), encoding: .utf8)
        for secret in ["webhook-token-123", "ntfy-access-token", "discord.example", "deploy failed"] {
            #expect(!cmdline.contains(secret), "\(cmdline)")
        }
        let stdin = try String(contentsOfFile: dir.appending("stdin"), encoding: .utf8)
        #expect(stdin.contains(#"url = "https://discord.example/api/webhooks/42/webhook-token-123?wait=true""#))
        #expect(stdin.contains(#"header = "Authorization: Bearer ntfy-access-token""#))
        #expect(stdin.contains(#"data-raw = "deploy failed""#))
        #expect(stdin.contains(#"proto = "=https""#) && stdin.contains(#"proto-redir = "=https""#))
    }

    @Test func aCurlThatExitsWithoutReadingItsConfigIsAnErrorNotACrash() async throws {
        let dir = try TemporaryDirectory(prefix: "curl-standin")
        defer { dir.remove() }
        try Data("#!/bin/sh\nexit 2\n".utf8).write(to: URL(fileURLWithPath: dir.appending("curl")))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.appending("curl"))
        let poster = HTTPPoster(environment: ["PATH": dir.path], curlFallbacks: [])
        // An inline body just under the limit: the config is then larger than a pipe holds, so writing it must fail
        // (EPIPE), not kill the daemon with SIGPIPE.
        let body = Data(repeating: UInt8(ascii: "a"), count: CurlConfig.inlineBodyLimit)
        let error = await #expect(throws: WireHTTPError.self) {
            try await poster.post("https://hooks.example/secret-path", headers: [], body: body)
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.hasPrefix("https://hooks.example: curl"), "\(text)")
        #expect(!text.contains("secret-path"), "\(text)")
    }

    @Test func anUnreachableReceiverIsNamedBySchemeAndHostOnly() async throws {
        let poster = HTTPPoster(timeout: .seconds(10))
        let error = await #expect(throws: WireHTTPError.self) {
            try await poster.post(
                "https://127.0.0.1:9/api/webhooks/7/unreachable-token?secret=query-secret",
                headers: [("X-Gotify-Key", "header-secret-value")],
                body: Data("{}".utf8)
            )
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.hasPrefix("https://127.0.0.1:9: curl exited 7"), "\(text)")
        for secret in ["unreachable-token", "query-secret", "header-secret-value", "/api/"] {
            #expect(!text.contains(secret), "\(text)")
        }
        // The same failure reads the same each time (curl's `after 3 ms` dropped): the Notifier logs one failure once
        // an hour.
        #expect(text.contains("Failed to connect to 127.0.0.1 port 9") && !text.contains(" after "), "\(text)")
        for _ in 0..<3 {
            do {
                _ = try await poster.post("https://127.0.0.1:9/x", headers: [], body: Data())
                Issue.record("a post to a closed port succeeded")
            } catch {
                #expect("\(error)" == text)
            }
        }
    }

    @Test func aMissingCurlIsAClearError() async throws {
        let dir = try TemporaryDirectory(prefix: "no-curl")
        defer { dir.remove() }
        let poster = HTTPPoster(environment: ["PATH": dir.path], curlFallbacks: [])
        let error = await #expect(throws: WireHTTPError.self) {
            try await poster.post("https://ntfy.example/topic-secret", headers: [], body: Data("x".utf8))
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.hasPrefix("https://ntfy.example: https notifications need the `curl` program"), "\(text)")
        #expect(text.contains("apt-get install curl"))
        #expect(!text.contains("topic-secret"))
    }

    @Test func aHeaderWithALineBreakIsRefusedByName() async throws {
        let poster = HTTPPoster(environment: ["PATH": "/nonexistent"], curlFallbacks: [])
        let error = await #expect(throws: WireHTTPError.self) {
            try await poster.post("https://x.example/h", headers: [("Title", "a\r\nX-Injected: 1")], body: Data())
        }
        #expect("\(error.map { "\($0)" } ?? "")" == "https://x.example: the value of header `Title` holds a line break")
    }

    @Test func aGotifyNotificationOverHTTPSReachesTheReceiver() async throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        let tokenFile = receiver.directory.appending("gotify.token")
        try Data("AbCdEf123456\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        var target = NotifyTarget(kind: .gotify, url: "https://127.0.0.1:\(receiver.port)")
        target.tokenFile = tokenFile
        let notifier = Notifier(
            targets: [target],
            logger: Logger(label: "test"),
            poster: HTTPPoster(timeout: .seconds(20), environment: receiver.curlEnvironment),
            retryDelays: []
        )
        notifier.publish(NotificationEvent(kind: .failed, commit: "1234567890abcdef", message: "plex unhealthy"))
        await notifier.drain()
        let requests = try receiver.requests()
        try #require(requests.count == 1)
        #expect(requests[0].path == "/message")
        #expect(requests[0].headers.contains { $0 == ("X-Gotify-Key", "AbCdEf123456") })
        let json = try JSONSerialization.jsonObject(with: requests[0].body) as? [String: Any]
        #expect(json?["title"] as? String == "reconciler: failed")
        #expect((json?["message"] as? String)?.contains("plex unhealthy") == true)
    }
}
