import Foundation
import Git
import Logging

/// The thin front the commands (and the daemon) call: sync, rollback, resume, deploy units, stop, restart, status,
/// history. The work is done by named parts: ``Planner`` (pure), ``Validator``, ``Applier`` with ``Rollback``,
/// ``Recovery``, ``StatusBuilder``, all recording through one ``DeploymentLedger`` and acting through one ``Driver``.
package final class Reconciler: Sendable {
    package static let configFileName = "reconciler.json"

    package let repository: Repository
    package let store: StateStore
    package let driver: any Driver
    package let logger: Logger
    package let reporter: any ProgressReporter
    /// The host-side configuration file (`--config FILE`, else `/etc/reconciler/config.json` when it exists):
    /// it overrides the repository's reconciler.json key by key, and alone may set the host-only keys.
    package let hostConfigFile: String?
    /// Runs what is not the driver's business: `ssh-keygen -Y verify` and `gpg --verify` for signatures.
    package let runner: ProcessRunner
    /// What unit discovery read of service directories, by tree id: in memory for as long as this front lives (the
    /// daemon's whole run), and in the state database for the next one-shot command.
    package let discoveryCache: DiscoveryCache

    /// - Parameters:
    ///   - driver: What acts on the outside world: ``ComposeDriver`` in the product, a fake in engine tests.
    ///   - runner: For signature verification (default: a plain runner on `logger`).
    package init(
        repository: Repository,
        store: StateStore,
        driver: any Driver,
        logger: Logger,
        reporter: any ProgressReporter,
        hostConfigFile: String?,
        runner: ProcessRunner? = nil
    ) {
        self.runner = runner ?? ProcessRunner(logger: logger)
        self.repository = repository
        self.store = store
        self.driver = driver
        self.logger = logger
        self.reporter = reporter
        self.hostConfigFile = hostConfigFile
        self.discoveryCache = DiscoveryCache(store: store)
    }

    /// The product's front: the real ``ComposeDriver`` on `runner`.
    package convenience init(
        repository: Repository,
        store: StateStore,
        runner: ProcessRunner,
        logger: Logger,
        reporter: any ProgressReporter,
        hostConfigFile: String?
    ) {
        self.init(
            repository: repository,
            store: store,
            driver: ComposeDriver(runner: runner),
            logger: logger,
            reporter: reporter,
            hostConfigFile: hostConfigFile,
            runner: runner
        )
    }

    var engine: Engine {
        Engine(repository: repository, ledger: DeploymentLedger(store: store), driver: driver, reporter: reporter)
    }

    var ledger: DeploymentLedger { DeploymentLedger(store: store) }

    // MARK: Configuration

    /// The configuration that governs a deploy of `commit`: the commit's reconciler.json overridden key by key by
    /// the host's file (``Config/resolve(repoFile:repoSource:hostFile:hostSource:)``); a commit setting a host-only
    /// key is refused.
    package func config(at commit: ObjectID) throws -> Config {
        let data = try repository.contents(of: Self.configFileName, at: commit)
        return try Config.resolve(
            repoFile: data,
            repoSource: "\(Self.configFileName) at \(commit.short)",
            hostFile: try Config.readHostFile(hostConfigFile),
            hostSource: hostConfigFile ?? Config.defaultHostFilePath
        )
    }

    /// The configuration of the work tree as it is on disk (for `validate`, `deploy`, `status`), under the host's file.
    package func workTreeConfig() throws -> Config {
        try Self.workTreeConfig(workdir: repository.workdir, hostConfigFile: hostConfigFile)
    }

    /// The work tree's reconciler.json under the host's file.
    package static func workTreeConfig(workdir: String, hostConfigFile: String?) throws -> Config {
        let path = "\(workdir)/\(configFileName)"
        return try Config.resolve(
            repoFile: FileManager.default.contents(atPath: path),
            repoSource: path,
            hostFile: try Config.readHostFile(hostConfigFile),
            hostSource: hostConfigFile ?? Config.defaultHostFilePath
        )
    }

    /// The host's file alone (for what only it may set: `stateDir`).
    package static func hostConfig(_ hostConfigFile: String?) throws -> Config {
        try Config.resolve(
            repoFile: nil,
            hostFile: try Config.readHostFile(hostConfigFile),
            hostSource: hostConfigFile ?? Config.defaultHostFilePath
        )
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

    /// The configuration in force now, for fetching and state: the deployed commit's, else the work tree's.
    package func currentConfig() throws -> Config {
        if let deployed = try store.deployedCommit(), let commit = try? repository.commit(for: deployed.hex) {
            return try config(at: commit.id)
        }
        return try workTreeConfig()
    }

    // MARK: Units and commits

    /// The units of `commit`, discovered from its tree; only the service directories not seen before (by tree id)
    /// are read.
    package func units(at commit: ObjectID, config: Config) throws -> UnitSet {
        try UnitDiscovery.discover(
            commit: commit,
            in: repository,
            servicesRoot: config.services.root,
            systemRoot: config.system.root,
            cache: discoveryCache
        )
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

    /// Loads the target commit's configuration and units and checks them against each other.
    /// Any problem is a configuration error naming the key, unit or path.
    package func loadTarget(_ commit: Commit) throws -> DeployTarget {
        let config = try config(at: commit.id)
        let units = try units(at: commit.id, config: config)
        let graph = try config.validate(units: units)
        let listing = TreeListing(commit: commit.id, in: repository)
        return DeployTarget(commit: commit, config: config, units: units, listing: listing, graph: graph)
    }

    /// Loads the source commit; a configuration it cannot read is nil, which maps "all, if in doubt".
    package func loadSource(_ commit: Commit) throws -> DeploySource {
        var config: Config?
        var units: UnitSet?
        var unreadable: String?
        do {
            config = try self.config(at: commit.id)
        } catch {
            unreadable = "the configuration of \(commit.id.short): \(error)"
        }
        if let config {
            do {
                units = try self.units(at: commit.id, config: config)
            } catch {
                unreadable = "the units of \(commit.id.short): \(error)"
            }
        }
        let listing = TreeListing(commit: commit.id, in: repository)
        return DeploySource(commit: commit, config: config, units: units, listing: listing, unreadable: unreadable)
    }

    /// The commit the state says is deployed, if any.
    package func deployedCommit() throws -> Commit? {
        guard let id = try store.deployedCommit() else { return nil }
        return try repository.commit(for: id.hex)
    }

    /// Resolves a revision (`HEAD~1`, a sha, a tag, a remote ref), or says which one cannot be resolved.
    package func commit(_ revision: String, option: String) throws -> Commit {
        do {
            return try repository.commit(for: revision)
        } catch {
            throw ReconcilerError(.configuration, "cannot resolve \(option)\(revision): \(error)")
        }
    }

    // MARK: Checks

    /// Refuses to go on over local modifications of tracked files, or a HEAD moved off the deployed commit (a
    /// `git checkout` by hand, even with the files unchanged).
    package func checkDrift() throws {
        let files = try repository.modifiedTrackedFiles()
        if !files.isEmpty { throw ReconcilerError.drift(files, repo: repository.workdir) }
        guard let deployed = try store.deployedCommit(), let drift = try repository.headDrift(from: deployed) else {
            return
        }
        if case .branch(_, let at?) = drift, at == deployed { return }
        throw ReconcilerError(
            .refused,
            """
            refusing to deploy: HEAD of \(repository.workdir) moved off the deployed commit \(deployed.short) (drift): \(drift)
            Put it back (git -C \(repository.workdir) checkout --detach \(deployed.short)), then sync again.
            """
        )
    }

    /// Refuses to act while degraded.
    package func checkNotDegraded() throws {
        if let degraded = try store.degraded() {
            throw ReconcilerError(
                .degraded,
                """
                degraded since \(degraded.at.formatted(.iso8601)): \(degraded.reason)
                No automatic deploys until an operator acts: check `reconciler status`, fix the cause, then run `reconciler resume`.
                """
            )
        }
    }

    /// Finishes what a killed reconciler left half-way (see ``Recovery``).
    package func recoverInterrupted() async throws {
        // Scratch copies (with `.env` values) a killed run left behind; the caller holds the lock.
        ScratchDirectory.removeLeftovers(under: engine.scratchRoot)
        try await Recovery(engine: engine, load: { [self] in try loadSource($0) }).run()
    }

    /// Which of `ids` (units of `target`) run now, asked of the driver.
    func running(_ ids: Set<String>, in target: DeployTarget) async -> Set<String> {
        var running = Set<String>()
        let context = engine.context(target.config)
        for id in ids.sorted() {
            guard let unit = target.units.units[id] else { continue }
            if await driver.isRunning(unit, in: engine.absolute(unit.directory), context) { running.insert(id) }
        }
        return running
    }
}
