import Foundation
import Git

/// Brings every attempted step back to the base commit after a failure: the system switched again, units that exist
/// there brought up with its files, units new in the failed commit taken down with theirs, units it pruned brought
/// back. A rollback that fails leaves the reconciler degraded.
struct Rollback: Sendable {
    let engine: Engine

    func run(
        attempted: [PlanStep],
        to base: DeploySource?,
        from failed: DeploySource,
        deployment: Int64,
        reason: String
    ) async throws -> DeployOutcome {
        let ledger = engine.ledger
        guard let base else {
            try ledger.failed(
                deployment,
                message: "\(reason); no earlier deployed commit to roll back to",
                failedCommit: nil
            )
            return .failed(reason)
        }
        // A base that cannot be read is not rolled back to: treating its units as new would take them down.
        if let unreadable = base.unreadable {
            let message =
                "\(reason); rollback to \(base.commit.id.short) not attempted: cannot read \(unreadable); "
                + "the units are left as they are"
            try ledger.degraded(deployment, failedCommit: failed.commit.id, message: message)
            return .degraded(message)
        }
        // Checking the base out must not overwrite or delete what the operator keeps in the work tree.
        if let refusal = try CommitPreflight.check(base.commit.id, in: engine.repository, checkingEnvFiles: false) {
            let message =
                "\(reason); rollback to \(base.commit.id.short) not attempted, the units are left as they are: "
                + refusal.description
            try ledger.degraded(deployment, failedCommit: failed.commit.id, message: message)
            return .degraded(message)
        }
        engine.reporter.report(
            .warning("\(reason)\nRolling back to \(base.commit.id.short) \(base.commit.summary)")
        )
        let failedConfig = failed.config ?? Config()
        let baseConfig = base.config ?? failedConfig
        let baseUnits = base.units ?? UnitSet()
        let failedUnits = failed.units ?? UnitSet()
        let baseGraph = base.graph ?? (try? baseConfig.validate(units: baseUnits))
        let steps = Planner.rollback(attempted: attempted, base: baseUnits, graph: baseGraph)

        // Units new in the failed commit are taken down with its files, which checking out the base removes.
        let scratch = try engine.scratch()
        defer { scratch.remove() }
        let newDirs = steps.filter { $0.action == .down }.compactMap { failedUnits.units[$0.unit]?.directory }
        try TreeMaterializer(repository: engine.repository).materialize(
            commit: failed.commit.id,
            directories: newDirs,
            into: scratch.path,
            entries: try failed.listing.entries()
        )
        let downSite = StepSite(
            config: failedConfig,
            units: failedUnits,
            filesRoot: scratch.path,
            commit: failed.commit.id
        )

        do {
            try engine.repository.checkout(base.commit.id)
        } catch {
            let message = "\(reason); rollback could not check out \(base.commit.id.short): \(error)"
            try ledger.degraded(deployment, failedCommit: failed.commit.id, message: message)
            return .degraded(message)
        }
        let site = StepSite(
            config: baseConfig,
            units: baseUnits,
            filesRoot: engine.repository.workdir,
            commit: base.commit.id
        )
        let (_, rollbackFailure) = await Applier(engine: engine).run(
            steps,
            phase: .rollback,
            deployment: deployment,
            site: site,
            parallelism: baseConfig.services.parallelism,
            graph: baseGraph,
            downSite: downSite
        )
        if let rollbackFailure {
            var message =
                "\(reason); rollback to \(base.commit.id.short) failed too: \(rollbackFailure.step.unit) \(rollbackFailure.step.action.rawValue): \(rollbackFailure.message)"
            // The engine going away mid-deploy fails the rollback too: say so, it is what the operator must fix.
            if let outage = await engine.driver.outage(engine.context(baseConfig)) {
                message += "\n\(outage): start it again, then `reconciler resume`"
            }
            try ledger.degraded(deployment, failedCommit: failed.commit.id, message: message)
            return .degraded(message)
        }
        try ledger.rolledBack(deployment, to: base.commit.id, message: reason)
        return .rolledBack(reason)
    }
}
