import Foundation
import ReconcilerCore
import Synchronization

@testable import ReconcilerServer

/// The real webhook payloads (octokit/webhooks' examples), kept under Tests/Fixtures/webhooks.
enum WebhookFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/webhooks")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

/// A recording stand-in for the engine, for the loop and route tests (the real engine is driven end to end by
/// the daemon tests in ReconcilerIntegrationTests).
final class RecordingEngine: DeployEngine {
    struct Calls {
        var polls: [PollTrigger] = []
        var heals: [String] = []
        var recovered = 0
        /// The live states each status report was built from.
        var statuses: [[String: String]?] = []
    }

    let calls = Mutex(Calls())
    let outcomes: Mutex<[PollOutcome]>
    let live: Mutex<[LiveUnit]>
    let pollDelay: Duration

    init(outcomes: [PollOutcome] = [], live: [LiveUnit] = [], pollDelay: Duration = .zero) {
        self.outcomes = Mutex(outcomes)
        self.live = Mutex(live)
        self.pollDelay = pollDelay
    }

    func recover() async throws { calls.withLock { $0.recovered += 1 } }

    func poll(trigger: PollTrigger) async -> PollOutcome {
        calls.withLock { $0.polls.append(trigger) }
        if pollDelay > .zero { try? await Task.sleep(for: pollDelay) }
        return outcomes.withLock { list in
            list.isEmpty ? .nothingToDo(head: "abc", "up to date") : list.removeFirst()
        }
    }

    func status(live: [String: String]?) async throws -> StatusReport {
        calls.withLock { $0.statuses.append(live) }
        let json = """
            {"repo": "/srv/homelab", "state": "ok", "drift": [],
             "deployed": {"commit": "1111111111111111111111111111111111111111", "summary": "deployed one"},
             "remote": {"commit": "1111111111111111111111111111111111111111", "summary": "deployed one"},
             "units": [{"id": "plex", "project": "plex", "state": "running", "live": "running(1)",
                        "commit": "1111111111111111111111111111111111111111"},
                       {"id": "sonarr/shows", "project": "sonarr-shows", "state": "running", "live": "exited(1)"}]}
            """
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(StatusReport.self, from: Data(json.utf8))
    }

    func history(limit: Int) throws -> [DeploymentRecord] { [] }

    func liveUnits() async throws -> [LiveUnit] { live.withLock { $0 } }

    func heal(unit: String) async -> DeployOutcome {
        calls.withLock { $0.heals.append(unit) }
        return .succeeded
    }

    func currentConfig() throws -> Config { Config() }

    func marks() throws -> EngineMarks {
        EngineMarks(deployed: "1111111111111111111111111111111111111111", degraded: false, held: false)
    }
}
