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
    /// `--host`: which entry of `hosts` this reconciler deploys (ignored when reconciler.json has no `hosts`).
    package let host: String?
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
        runner: ProcessRunner? = nil,
        host: String? = nil
    ) {
        self.runner = runner ?? ProcessRunner(logger: logger)
        self.host = host
        self.repository = repository
        self.store = store
        self.driver = driver
        self.logger = logger
        self.reporter = reporter
        self.hostConfigFile = hostConfigFile
        self.discoveryCache = DiscoveryCache(store: store)
    }

    /// The product's front: the real drivers on `runner` (``DriverRouter``: Compose, Swarm, the system commands).
    package convenience init(
        repository: Repository,
        store: StateStore,
        runner: ProcessRunner,
        logger: Logger,
        reporter: any ProgressReporter,
        hostConfigFile: String?,
        host: String? = nil
    ) {
        self.init(
            repository: repository,
            store: store,
            driver: DriverRouter(runner: runner),
            logger: logger,
            reporter: reporter,
            hostConfigFile: hostConfigFile,
            runner: runner,
            host: host
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

    /// This reconciler's part of `config` (nil: no `hosts`, everything is this host's).
    package func scope(_ config: Config) throws -> HostScope? {
        try HostScope.resolve(config, requested: host)
    }

    /// The units of `commit` this host deploys (every unit without `hosts`).
    package func units(at commit: ObjectID, config: Config) throws -> UnitSet {
        let all = try allUnits(at: commit, config: config)
        return try scope(config)?.units(all) ?? all
    }

    /// Every unit of `commit`, whichever host it is on, discovered from its tree; only the service directories not
    /// seen before (by tree id) are read.
    package func allUnits(at commit: ObjectID, config: Config) throws -> UnitSet {
        try UnitDiscovery.discover(
            commit: commit,
            in: repository,
            servicesRoot: config.services.root,
            systemRoot: config.system.root,
            cache: discoveryCache
        )
    }

    /// The units of the work tree as it is on disk that this host deploys.
    package func workTreeUnits(config: Config) throws -> UnitSet {
        let all = try allWorkTreeUnits(config: config)
        return try scope(config)?.units(all) ?? all
    }

    /// Every unit of the work tree as it is on disk.
    package func allWorkTreeUnits(config: Config) throws -> UnitSet {
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
        let all = try allUnits(at: commit.id, config: config)
        let graph = try config.validate(units: all)
        try config.validateHosts(units: all)
        let listing = TreeListing(commit: commit.id, in: repository)
        guard let scope = try scope(config) else {
            return DeployTarget(commit: commit, config: config, units: all, listing: listing, graph: graph)
        }
        return DeployTarget(
            commit: commit,
            config: try scope.config(config, units: all),
            units: scope.units(all),
            listing: listing,
            graph: graph
        )
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
        var graph: DependencyGraph?
        if let read = config {
            do {
                let all = try allUnits(at: commit.id, config: read)
                // The order over every unit: under `hosts`, `units.<id>` names other hosts' units too.
                graph = try? read.validate(units: all)
                units = try scope(read)?.units(all) ?? all
            } catch {
                unreadable = "the units of \(commit.id.short): \(error)"
            }
            // The source's configuration narrowed to this host, as the target's is; a scope it cannot resolve
            // (this host not in the old commit's hosts) leaves it whole: "all, if in doubt".
            if let scope = try? scope(read) { config = try? scope.config(read, units: units ?? UnitSet()) }
        }
        let listing = TreeListing(commit: commit.id, in: repository)
        return DeploySource(
            commit: commit,
            config: config,
            units: units,
            listing: listing,
            unreadable: unreadable,
            graph: graph
        )
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
        // Asked with the Compose command in force (the deployed commit's, under the host file), never one that the
        // planned commit sets: `plan` and `sync --dry-run` run nothing taken from the commits they plan.
        var config = target.config
        config.services.compose = (try? currentConfig())?.services.compose ?? Config().services.compose
        let context = engine.context(config)
        for id in ids.sorted() {
            guard let unit = target.units.units[id] else { continue }
            if await driver.isRunning(unit, in: engine.absolute(unit.directory), context) { running.insert(id) }
        }
        return running
    }
}
