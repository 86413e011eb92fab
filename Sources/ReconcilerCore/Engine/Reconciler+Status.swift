import Foundation
import Git

extension Reconciler {
    /// `reconciler status`: what the state records and what runs now (``StatusBuilder``), asking the driver.
    package func status() async throws -> StatusReport {
        try await status(observed: nil)
    }

    /// The status report with what runs taken from `observed` (each project's state by name, as the daemon's last
    /// poll saw it) instead of asking the driver, which starts a process: the daemon's `/status` and page never do.
    /// - Parameter observed: `.some(nil)` when nothing was observed yet (live states unknown); nil to ask the driver.
    package func status(observed: [String: String]??) async throws -> StatusReport {
        var builder = StatusBuilder(repo: repository.workdir)
        let deployed = try? deployedCommit()
        let config = (try? currentConfig()) ?? Config()
        // A --host that hosts does not list would show an empty host: say so instead.
        let scope = try scope(config)
        builder.deployed = deployed
        builder.remote = try? repository.commit(for: config.remoteTrackingRef)
        builder.lastFinished = try store.lastFinishedDeployment()
        builder.running = try store.runningDeployments().first
        builder.degraded = try store.degraded()
        builder.hold = try store.hold()
        builder.failedRemote = try builder.remote.flatMap { try store.failure(of: $0.id) }
        builder.outage = try store.outage()
        builder.drift = (try? repository.modifiedTrackedFiles()) ?? []
        if let deployed {
            builder.units = try? units(at: deployed.id, config: config)
        } else {
            builder.units = try? workTreeUnits(config: config)
        }
        builder.records = try store.units()
        // The host's `engine` applies to its units: the driver asks Swarm for the stacks among them.
        let scoped = (try? scope?.config(config, units: builder.units ?? UnitSet())) ?? config
        if let observed {
            builder.live = observed
        } else {
            builder.live = await driver.projects(engine.context(scoped))
        }
        var report = builder.build()
        report.host = scope?.name
        return report
    }

    /// The host (`hosts.<name>`) this reconciler speaks for under the configuration in force; nil without `hosts`.
    package func hostName() -> String? {
        guard let config = try? currentConfig() else { return nil }
        return try? scope(config)?.name
    }

    /// `reconciler history`: the last `limit` deployments, newest first, each with its steps.
    package func history(limit: Int) throws -> [DeploymentRecord] {
        try store.deployments(limit: limit)
    }
}
