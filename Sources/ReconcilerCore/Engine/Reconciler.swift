import Foundation
import Git
import Logging

/// Everything a command works with: the deploy repository, the state, the process runner, and where progress goes.
package final class Reconciler: Sendable {
    package static let configFileName = "reconciler.json"

    package let repository: Repository
    package let store: StateStore
    package let runner: ProcessRunner
    package let logger: Logger
    package let reporter: any ProgressReporter
    /// `--config FILE`: this file governs instead of the repository's own reconciler.json.
    package let configOverride: String?

    package init(
        repository: Repository,
        store: StateStore,
        runner: ProcessRunner,
        logger: Logger,
        reporter: any ProgressReporter,
        configOverride: String?
    ) {
        self.repository = repository
        self.store = store
        self.runner = runner
        self.logger = logger
        self.reporter = reporter
        self.configOverride = configOverride
    }

    // MARK: Configuration

    /// The configuration that governs a deploy of `commit`: `--config`, else the commit's reconciler.json, else defaults.
    package func config(at commit: ObjectID) throws -> Config {
        if let configOverride { return try Self.loadConfigFile(configOverride) }
        guard let data = try repository.contents(of: Self.configFileName, at: commit) else { return Config() }
        return try Config.decode(data, source: "\(Self.configFileName) at \(commit.short)")
    }

    /// The configuration of the work tree as it is on disk (for `validate`, `deploy`, `status`).
    package func workTreeConfig() throws -> Config {
        if let configOverride { return try Self.loadConfigFile(configOverride) }
        let path = "\(repository.workdir)/\(Self.configFileName)"
        guard FileManager.default.fileExists(atPath: path) else { return Config() }
        return try Self.loadConfigFile(path)
    }

    package static func loadConfigFile(_ path: String) throws -> Config {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReconcilerError(
                .configuration,
                "cannot read configuration file \(path): check the path and its permissions"
            )
        }
        return try Config.decode(data, source: path)
    }

    // MARK: Units

    /// The units of `commit`, discovered from its tree.
    package func units(at commit: ObjectID, config: Config) throws -> (UnitSet, [TreeEntry]) {
        let entries = try repository.treeEntries(at: commit)
        let repo = repository
        let units = try UnitDiscovery.discover(
            entries: entries,
            servicesRoot: config.services.root,
            systemRoot: config.system.root,
            symlinkTarget: { try repo.symlinkTarget(of: $0, at: commit) }
        )
        return (units, entries)
    }

    /// The units of the work tree as it is on disk.
    package func workTreeUnits(config: Config) throws -> UnitSet {
        let root = repository.workdir
        let entries = try UnitDiscovery.workTreeEntries(root: root)
        return try UnitDiscovery.discover(
            entries: entries,
            servicesRoot: config.services.root,
            systemRoot: config.system.root,
            symlinkTarget: { path in
                try? FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/\(path)")
            }
        )
    }

    package func compose(_ config: Config, deployment: Int64? = nil) -> Compose {
        Compose(command: config.services.compose, runner: runner, environment: markerEnvironment(deployment))
    }

    /// The environment every process of a deployment carries, so a crash's leftovers can be found.
    package func markerEnvironment(_ deployment: Int64?) -> [String: String] {
        guard let deployment else { return [:] }
        return [Leftovers.variable: Leftovers.tag(store: store, deployment: deployment)]
    }

    package func absolute(_ relative: String) -> String {
        relative.isEmpty ? repository.workdir : "\(repository.workdir)/\(relative)"
    }

    /// Refuses to go on over local modifications of tracked files.
    package func checkDrift() throws {
        let files = try repository.modifiedTrackedFiles()
        if !files.isEmpty { throw ReconcilerError.drift(files, repo: repository.workdir) }
    }

    /// Whether every container of `unit` is up (or a completed one-shot) right now.
    package func isRunning(_ unit: ServiceUnit, config: Config) async -> Bool {
        let dir = absolute(unit.directory)
        let cwd = FileManager.default.fileExists(atPath: dir) ? dir : "/"
        guard let containers = try? await compose(config).containers(unit, in: cwd) else { return false }
        if case .passed? = HealthGate.judge(containers) { return true }
        return false
    }
}
