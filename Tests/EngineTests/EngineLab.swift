import Foundation
import Git
import Logging
import ReconcilerCore
import ReconcilerTesting
import Synchronization
import Testing

/// A homelab for engine tests without Docker: a real git remote and deploy clone (``GitFixture``), a real SQLite
/// state file, and the ``FakeDriver`` instead of Compose and the system switch. Units: `db` ← `app` ← `web`.
final class EngineLab: Sendable {
    let fixture: GitFixture
    let stateDir: String
    let driver: FakeDriver
    let events: EventLog

    static func service(_ version: String) -> String {
        """
        services:
          app:
            image: reconciler-test/busybox:1
            labels:
              homelab.version: "\(version)"

        """
    }

    static func config(units: [String: [String]] = ["app": ["db"], "web": ["app"]], extra: String = "") -> String {
        let lines = units.sorted { $0.key < $1.key }.map { id, deps in
            "    \"\(id)\": { \"dependsOn\": [\(deps.map { "\"\($0)\"" }.joined(separator: ", "))] }"
        }.joined(separator: ",\n")
        return """
            {
              "system": { "switch": ["/bin/false-switch"], "check": ["/bin/false-check"] },
              "services": { "parallelism": 2 },
              "units": {
            \(lines)
              }\(extra.isEmpty ? "" : ",\n  " + extra)
            }

            """
    }

    init(files: [String: String] = [:]) throws {
        var all = [
            "reconciler.json": Self.config(),
            ".gitignore": ".env\n",
            "nixos/configuration.nix": "{ }\n",
            "docs/README.md": "the homelab\n",
            "services/db/compose.yml": Self.service("1"),
            "services/app/compose.yml": Self.service("1"),
            "services/web/compose.yml": Self.service("1"),
        ]
        all.merge(files) { _, new in new }
        fixture = try GitFixture.make(files: all, message: "initial homelab")
        stateDir = fixture.directory.appending("state")
        driver = FakeDriver()
        events = EventLog()
    }

    deinit { fixture.remove() }

    /// A fresh front on the same repository and state, as each command invocation makes one.
    func reconciler(driver: FakeDriver? = nil, hostConfigFile: String? = nil) throws -> Reconciler {
        Reconciler(
            repository: try Repository(at: fixture.clone),
            store: try StateStore(directory: stateDir),
            driver: driver ?? self.driver,
            logger: Logger(label: "engine-test"),
            reporter: events,
            hostConfigFile: hostConfigFile
        )
    }

    /// The state database, for reading what was recorded.
    func store() throws -> StateStore { try StateStore(directory: stateDir) }

    @discardableResult
    func commit(_ files: [String: String?], message: String = "change") throws -> String {
        try fixture.commit(files: files, message: message)
    }

    func sync() async throws -> DeployOutcome { try await reconciler().sync(dryRun: false) }

    /// The commit the work tree is at.
    func checkedOut() throws -> String { try fixture.gitInClone(["rev-parse", "HEAD"]) }

    func deployed() throws -> String? { try store().deployedCommit()?.hex }

    /// The newest deployment.
    func last() throws -> DeploymentRecord { try #require(try store().deployments(limit: 1).first) }

    /// The newest deployment's steps of one phase as `"up web"`, in the order they started.
    func steps(_ phase: StepPhase, of record: DeploymentRecord? = nil) throws -> [String] {
        try (record ?? last()).steps.filter { $0.phase == phase }.map { "\($0.action) \($0.unit)" }
    }
}

/// Progress events, kept for tests that check what an operator would have seen.
final class EventLog: ProgressReporter, Sendable {
    private let lines = Mutex<[String]>([])

    func report(_ event: ProgressEvent) {
        let line: String? =
            switch event {
            case .info(let text): "info: \(text)"
            case .warning(let text): "warning: \(text)"
            default: nil
            }
        if let line { lines.withLock { $0.append(line) } }
    }

    var all: [String] { lines.withLock { $0 } }
}

/// The regular files under `root`, at any depth, as paths relative to it.
func regularFiles(under root: String) throws -> [String] {
    var files: [String] = []
    for path in try FileManager.default.subpathsOfDirectory(atPath: root) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "\(root)/\(path)", isDirectory: &isDirectory), !isDirectory.boolValue
        {
            files.append(path)
        }
    }
    return files
}
