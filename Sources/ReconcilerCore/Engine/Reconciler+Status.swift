import Foundation
import Git

extension Reconciler {
    /// `reconciler status`: what the state records and what runs now (``StatusBuilder``).
    package func status() async throws -> StatusReport {
        var builder = StatusBuilder(repo: repository.workdir)
        let deployed = try? deployedCommit()
        let config = (try? currentConfig()) ?? Config()
        builder.deployed = deployed
        builder.remote = try? repository.commit(for: "refs/remotes/\(config.remote)/\(config.branch)")
        builder.lastFinished = try store.lastFinishedDeployment()
        builder.running = try store.runningDeployments().first
        builder.degraded = try store.degraded()
        builder.hold = try store.hold()
        builder.failedRemote = try builder.remote.flatMap { try store.failure(of: $0.id) }
        builder.drift = (try? repository.modifiedTrackedFiles()) ?? []
        if let deployed {
            builder.units = try? units(at: deployed.id, config: config)
        } else {
            builder.units = try? workTreeUnits(config: config)
        }
        builder.records = try store.units()
        builder.live = await driver.projects(engine.context(config))
        return builder.build()
    }

    /// `reconciler history`: the last `limit` deployments, newest first, each with its steps.
    package func history(limit: Int) throws -> [DeploymentRecord] {
        try store.deployments(limit: limit)
    }
}
