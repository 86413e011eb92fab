import Foundation
import Logging
import ReconcilerCore
import ReconcilerTesting
import Synchronization
import Testing

@testable import ReconcilerServer

/// Commit statuses against a real local HTTPS receiver (curl, as in production): each forge's path, headers and
/// body; a forge that answers 500 or hangs never holds a deploy up; the token is never in the output.
@Suite(.serialized) struct ForgeStatusesTests {
    static let token = "forge-token-7d1f9c2a"
    static let sha = String(repeating: "ab", count: 20)

    /// Keeps every log line as text.
    final class Lines: LogHandler, @unchecked Sendable {
        let lines = Mutex<[String]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
        }
        var text: String { lines.withLock { $0.joined(separator: "\n") } }
    }

    func statuses(
        _ kind: ForgeSettings.Kind,
        _ receiver: TLSReceiver,
        lines: Lines,
        timeout: Duration = .seconds(20),
        retries: [Duration] = []
    ) throws -> ForgeStatuses {
        let tokenFile = receiver.directory.appending("token")
        try Data("\(Self.token)\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let forge = ForgeSettings(
            kind: kind,
            apiURL: "https://127.0.0.1:\(receiver.port)/api",
            repository: "owner/homelab",
            tokenFile: tokenFile,
            statusPageURL: "https://status.example:9876"
        )
        let statuses = ForgeStatuses(
            forge: forge,
            host: "hl15",
            logger: Logger(label: "test") { _ in lines },
            poster: HTTPPoster(timeout: timeout, environment: receiver.curlEnvironment),
            retryDelays: retries
        )
        statuses.latestDeployment { 7 }
        return statuses
    }

    @Test(arguments: [ForgeSettings.Kind.github, .gitea, .gitlab])
    func eachForgeGetsItsPathHeadersAndBody(kind: ForgeSettings.Kind) async throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        let lines = Lines()
        let statuses = try statuses(kind, receiver, lines: lines)
        statuses.pending(commit: Self.sha)
        statuses.finished(.rolledBack("plex up: health check failed\nmore"), commit: Self.sha)
        #expect(await statuses.drain(within: .seconds(120)), "both statuses were sent")

        let requests = try receiver.requests()
        try #require(requests.count == 2)
        let path =
            kind == .gitlab
            ? "/api/projects/owner%2Fhomelab/statuses/\(Self.sha)" : "/api/repos/owner/homelab/statuses/\(Self.sha)"
        let bodies = try requests.map { try JSONSerialization.jsonObject(with: $0.body) as? [String: String] }
        for request in requests {
            #expect(request.method == "POST")
            #expect(request.path == path)
            let headers = Dictionary(request.headers.map { ($0.0.lowercased(), $0.1) }) { a, _ in a }
            #expect(headers["content-type"] == "application/json")
            switch kind {
            case .github:
                #expect(headers["authorization"] == "Bearer \(Self.token)")
                #expect(headers["accept"] == "application/vnd.github+json")
                #expect(headers["x-github-api-version"] == "2022-11-28")
            case .gitea: #expect(headers["authorization"] == "token \(Self.token)")
            case .gitlab: #expect(headers["private-token"] == Self.token)
            }
        }
        let failed = "rolled back: plex up: health check failed"
        if kind == .gitlab {
            #expect(
                bodies == [
                    [
                        "state": "running", "name": "reconciler/hl15", "description": "deploying",
                        "target_url": "https://status.example:9876",
                    ],
                    [
                        "state": "failed", "name": "reconciler/hl15", "description": failed,
                        "target_url": "https://status.example:9876/deployments/7",
                    ],
                ]
            )
        } else {
            #expect(
                bodies == [
                    [
                        "state": "pending", "context": "reconciler/hl15", "description": "deploying",
                        "target_url": "https://status.example:9876",
                    ],
                    [
                        "state": "failure", "context": "reconciler/hl15", "description": failed,
                        "target_url": "https://status.example:9876/deployments/7",
                    ],
                ]
            )
        }
        #expect(!lines.text.contains(Self.token))
    }

    @Test func aForgeAnswering500IsRetriedCountedAndLoggedOnceWithoutTheToken() async throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        try receiver.answer(500)
        let lines = Lines()
        let statuses = try statuses(.github, receiver, lines: lines, retries: [.milliseconds(10), .milliseconds(10)])
        let failures = Mutex(0)
        statuses.onFailure { failures.withLock { $0 += 1 } }
        statuses.finished(.succeeded, commit: Self.sha)
        statuses.finished(.succeeded, commit: Self.sha)
        #expect(await statuses.drain(within: .seconds(120)))
        #expect(try receiver.requests().count == 6, "three attempts for each status")
        #expect(failures.withLock { $0 } == 2)
        let warnings = lines.lines.withLock { $0.filter { $0.hasPrefix("warning") } }
        #expect(warnings.count == 1, "the same failure is logged once an hour: \(warnings)")
        #expect(warnings.first?.contains("HTTP 500") == true)
        #expect(!lines.text.contains(Self.token))
    }

    @Test func aHangingForgeHoldsNothingUpAndGivesUpInBoundedTime() async throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        try receiver.hang()
        let lines = Lines()
        let statuses = try statuses(.gitea, receiver, lines: lines, timeout: .seconds(1))
        let failures = Mutex(0)
        statuses.onFailure { failures.withLock { $0 += 1 } }
        // The daemon's events go on to the notifier at once, whatever the forge does.
        final class Recording: NotificationSink, @unchecked Sendable {
            let events = Mutex<[NotificationEvent.Kind]>([])
            func publish(_ event: NotificationEvent) { events.withLock { $0.append(event.kind) } }
        }
        let inner = Recording()
        let sink = ForgeStatusSink(inner, statuses: statuses)
        sink.publish(NotificationEvent(kind: .succeeded, commit: Self.sha, message: ""))
        #expect(inner.events.withLock { $0 } == [.succeeded])
        #expect(await statuses.drain(within: .seconds(120)), "curl's time limit ends the hanging request")
        #expect(failures.withLock { $0 } == 1)
        #expect(lines.text.contains("commit status not set"))
        #expect(!lines.text.contains(Self.token))
    }

    @Test func theForgeKeyIsCheckedAndHostOnly() throws {
        func decode(_ forge: String) throws(ConfigError) -> Config {
            try Config.resolve(repoFile: nil, hostFile: Data(#"{"forge": \#(forge)}"#.utf8), hostSource: "host.json")
        }
        let gitlab = try decode(#"{"kind": "gitlab", "repository": "group/sub/homelab", "tokenFile": "/t"}"#).forge
        #expect(gitlab?.apiURL == "https://gitlab.com/api/v4")
        let cases: [(String, String)] = [
            (
                #"{"kind": "github", "apiURL": "http://ghe.lan/api/v3", "repository": "o/r", "tokenFile": "/t"}"#,
                "forge.apiURL"
            ),
            (#"{"kind": "gitea", "repository": "o/r", "tokenFile": "/t"}"#, "forge.apiURL"),
            (#"{"kind": "bitbucket", "repository": "o/r", "tokenFile": "/t"}"#, "forge.kind"),
            (#"{"kind": "github", "repository": "o", "tokenFile": "/t"}"#, "forge.repository"),
            (#"{"kind": "github", "repository": "o/r", "tokenFile": "t"}"#, "forge.tokenFile"),
            (#"{"kind": "github", "repository": "o/r", "tokenFile": "/t", "token": "x"}"#, "forge.token"),
        ]
        for (json, key) in cases {
            do {
                _ = try decode(json)
                Issue.record("accepted \(json)")
            } catch {
                #expect(error.keyPath == key, "\(error)")
            }
        }
        do {
            _ = try Config.resolve(
                repoFile: Data(#"{"forge": {"kind": "github", "repository": "o/r", "tokenFile": "/t"}}"#.utf8),
                hostFile: nil
            )
            Issue.record("a commit set forge")
        } catch {
            #expect(error.code == .hostOnlyKey && error.keyPath == "forge")
        }
    }
}
