import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ReconcilerCore
import Testing

@testable import ReconcilerServer

/// The daemon's HTTP routes through Hummingbird's router test mode, over a recording engine.
struct RouteTests {
    static let secret = "route-test-secret-\(UUID().uuidString)"

    func makeDaemon(engine: RecordingEngine = RecordingEngine()) -> Daemon {
        Daemon(
            engine: engine,
            settings: .init(
                stateDirectory: "/nonexistent",
                listen: "127.0.0.1:0",
                secret: Array(Self.secret.utf8),
                options: DaemonOptions(pollInterval: .seconds(60)),
                version: "test"
            ),
            notifier: NoNotifications(),
            logger: Logger(label: "test")
        )
    }

    func app(_ daemon: Daemon) -> some ApplicationProtocol {
        Application(router: daemon.router())
    }

    func signed(_ body: [UInt8], event: String = "push") -> HTTPFields {
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Hub-Signature-256")!] = WebhookVerifier(secret: Array(Self.secret.utf8)).signature(
            body
        )
        headers[HTTPField.Name("X-GitHub-Event")!] = event
        headers[.contentType] = "application/json"
        return headers
    }

    func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    @Test func signedPushToTheBranchIsAcceptedAndQueuesOnePoll() async throws {
        let daemon = makeDaemon()
        let body = Array(
            #"{"ref":"refs/heads/main","after":"2222222222222222222222222222222222222222","before":"1111111111111111111111111111111111111111"}"#
                .utf8
        )
        try await app(daemon).test(.router) { client in
            try await client.execute(
                uri: "/hooks/github",
                method: .post,
                headers: signed(body),
                body: ByteBuffer(bytes: body)
            ) {
                #expect($0.status == .accepted)
                let object = json($0.body)
                #expect(object["accepted"] as? Bool == true)
                #expect(object["poll"] as? String == "queued")
            }
        }
        #expect(daemon.wakeup.hasPending)
    }

    @Test func pingIs200AndQueuesNothing() async throws {
        let daemon = makeDaemon()
        let body = try WebhookFixtures.bytes("github/ping-payload.json")
        try await app(daemon).test(.router) { client in
            try await client.execute(
                uri: "/hooks/github",
                method: .post,
                headers: signed(body, event: "ping"),
                body: ByteBuffer(bytes: body)
            ) {
                #expect($0.status == .ok)
            }
        }
        #expect(!daemon.wakeup.hasPending)
    }

    @Test func tagDeletionAndOtherBranchAre202Ignored() async throws {
        let daemon = makeDaemon()
        let tag = try WebhookFixtures.bytes("github/push-payload.json")
        let branch = try WebhookFixtures.bytes("github/push-with-new-branch.payload.json")
        try await app(daemon).test(.router) { client in
            for body in [tag, branch] {
                try await client.execute(
                    uri: "/hooks/github",
                    method: .post,
                    headers: signed(body),
                    body: ByteBuffer(bytes: body)
                ) {
                    #expect($0.status == .accepted)
                    #expect((json($0.body)["ignored"] as? String)?.isEmpty == false)
                }
            }
        }
        #expect(!daemon.wakeup.hasPending)
    }

    @Test func badSignatureIs401AndNeverEchoesTheSecret() async throws {
        let daemon = makeDaemon()
        let body = Array(#"{"ref":"refs/heads/main","after":"2222222222222222222222222222222222222222"}"#.utf8)
        var forged = signed(body)
        forged[HTTPField.Name("X-Hub-Signature-256")!] = "sha256=" + String(repeating: "ab", count: 32)
        let headers = forged
        try await app(daemon).test(.router) { client in
            try await client.execute(
                uri: "/hooks/github",
                method: .post,
                headers: headers,
                body: ByteBuffer(bytes: body)
            ) {
                #expect($0.status == .unauthorized)
                #expect(!String(buffer: $0.body).contains(Self.secret))
            }
            try await client.execute(uri: "/hooks/gitlab", method: .post, body: ByteBuffer(bytes: body)) {
                #expect($0.status == .unauthorized)
            }
        }
        #expect(!daemon.wakeup.hasPending)
    }

    @Test func repeatedBadSignaturesGet429ButAGoodOneIsStillAccepted() async throws {
        let daemon = makeDaemon()
        try await app(daemon).test(.router) { client in
            for _ in 0..<10 {
                try await client.execute(uri: "/hooks/generic", method: .post, body: ByteBuffer(string: "{}")) {
                    #expect($0.status == .unauthorized)
                }
            }
            try await client.execute(uri: "/hooks/generic", method: .post, body: ByteBuffer(string: "{}")) {
                #expect($0.status == .tooManyRequests, "the eleventh locks the address out")
            }
            // A good signature from the same address is verified (after its wait) and accepted.
            let body = Array("{}".utf8)
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Reconciler-Signature")!] = WebhookVerifier(secret: Array(Self.secret.utf8))
                .signature(body)
            try await client.execute(
                uri: "/hooks/generic",
                method: .post,
                headers: headers,
                body: ByteBuffer(bytes: body)
            ) {
                #expect($0.status == .accepted)
            }
        }
        #expect(daemon.wakeup.hasPending)
    }

    @Test func bodyOverOneMebibyteIs413() async throws {
        let daemon = makeDaemon()
        let body = [UInt8](repeating: UInt8(ascii: " "), count: (1 << 20) + 10)
        try await app(daemon).test(.router) { client in
            try await client.execute(
                uri: "/hooks/github",
                method: .post,
                headers: signed(body),
                body: ByteBuffer(bytes: body)
            ) {
                #expect($0.status == .contentTooLarge)
            }
        }
    }

    @Test func gitlabAndGiteaPushes() async throws {
        let daemon = makeDaemon()
        let body = Array(
            #"{"object_kind":"push","ref":"refs/heads/main","after":"3333333333333333333333333333333333333333"}"#.utf8
        )
        try await app(daemon).test(.router) { client in
            var gitlab = HTTPFields()
            gitlab[HTTPField.Name("X-Gitlab-Token")!] = Self.secret
            gitlab[HTTPField.Name("X-Gitlab-Event")!] = "Push Hook"
            try await client.execute(
                uri: "/hooks/gitlab",
                method: .post,
                headers: gitlab,
                body: ByteBuffer(bytes: body)
            ) {
                #expect($0.status == .accepted)
                #expect(json($0.body)["accepted"] as? Bool == true)
            }
            var gitea = HTTPFields()
            let hex = String(WebhookVerifier(secret: Array(Self.secret.utf8)).signature(body).dropFirst(7))
            gitea[HTTPField.Name("X-Gitea-Signature")!] = hex
            gitea[HTTPField.Name("X-Gitea-Event")!] = "push"
            try await client.execute(uri: "/hooks/gitea", method: .post, headers: gitea, body: ByteBuffer(bytes: body))
            {
                #expect($0.status == .accepted)
                #expect(json($0.body)["accepted"] as? Bool == true)
            }
        }
    }

    @Test func statusHealthzMetricsAndPage() async throws {
        let daemon = makeDaemon()
        daemon.state.update {
            $0.fetchFailingSince = Date(timeIntervalSince1970: 1_700_000_000)
            $0.fetchError = "cannot fetch main from origin"
            $0.nextPollAt = Date().addingTimeInterval(120)
            $0.consecutiveFetchFailures = 3
            $0.healBudget = ["plex": .init(used: 2, limit: 5, exhausted: false)]
        }
        daemon.metrics.poll(result: "ok")
        try await app(daemon).test(.router) { client in
            try await client.execute(uri: "/status", method: .get) {
                #expect($0.status == .ok)
                let object = json($0.body)
                #expect(object["state"] as? String == "ok")
                #expect((object["units"] as? [[String: Any]])?.count == 2)
                let d = object["daemon"] as? [String: Any] ?? [:]
                #expect(d["fetchFailingSince"] as? String == "2023-11-14T22:13:20Z")
                #expect(d["nextPollAt"] != nil)
                #expect(((d["healBudget"] as? [String: Any])?["plex"] as? [String: Any])?["used"] as? Int == 2)
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) {
                #expect($0.status == .ok)
                let text = String(buffer: $0.body)
                #expect(text.contains("reconciler_info{version=\"test\"} 1"))
                #expect(text.contains("reconciler_polls_total{result=\"ok\"} 1"))
                #expect(text.contains("# TYPE reconciler_webhooks_total counter"))
            }
            try await client.execute(uri: "/", method: .get) {
                #expect($0.status == .ok)
                let html = String(buffer: $0.body)
                #expect(html.contains("<meta http-equiv=\"refresh\""))
                #expect(html.contains("plex") && html.contains("sonarr/shows"))
                #expect(html.contains("fetch failing"))
                #expect(!html.contains("<script"))
            }
        }
    }

    @Test func healthzIs503WhenThePollLoopIsStuck() async throws {
        let daemon = makeDaemon()
        daemon.state.update { $0.lastPollAt = Date().addingTimeInterval(-3600) }
        try await app(daemon).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
    }
}
