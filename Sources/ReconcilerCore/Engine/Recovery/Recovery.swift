import Foundation
import Git

/// Finishes what a killed reconciler left half-way: every deployment still marked running (the caller holds the lock,
/// so its process is gone) is rolled back to the commit it started from, and the history says so.
struct Recovery: Sendable {
    let engine: Engine
    /// Loads a commit's configuration and units (the front's loader).
    let load: @Sendable (Commit) throws -> DeploySource
    /// How long the processes a dead run left get to finish before they are killed.
    var leftoverTimeout: Duration = .seconds(120)

    func run() async throws {
        let ledger = engine.ledger
        let repository = engine.repository
        for record in try ledger.store.runningDeployments() {
            engine.reporter.report(
                .warning(
                    "Deployment #\(record.id) (\(record.trigger) to \(record.toCommit.short)) was interrupted (\(Self.whoStopped(record.pid))); recovering."
                )
            )
            // Whatever the dead process had started (a `compose up` half-way) finishes before anything else runs.
            let leftovers = await Leftovers.settle(
                tag: Leftovers.tag(store: ledger.store, deployment: record.id),
                timeout: leftoverTimeout
            )
            if leftovers > 0 {
                engine.reporter.report(
                    .info("Waited for \(leftovers) process(es) the interrupted deployment had started.")
                )
            }
            for step in record.steps where step.result == .running {
                try ledger.closeInterrupted(step)
            }
            guard let failed = try? repository.commit(for: record.toCommit.hex) else {
                try ledger.interrupted(
                    record.id,
                    message: "interrupted; its target commit is no longer in the repository"
                )
                continue
            }
            let reason = "deployment #\(record.id) was interrupted (\(Self.whoStopped(record.pid)))"
            guard let base = record.fromCommit.flatMap({ try? repository.commit(for: $0.hex) }) else {
                // Nothing to go back to: the next sync deploys the target again from the start.
                try ledger.interrupted(record.id, message: "\(reason); no earlier commit to roll back to")
                continue
            }
            let failedSource = try load(failed)
            let baseSource = try load(base)
            var attempted = Self.attempted(record)
            if let config = failedSource.config ?? baseSource.config {
                // Before the services: they are rolled back on a confirmed system.
                if let why = try await SystemRecovery(engine: engine).restore(record, config: config) {
                    let message = "\(reason); the last confirmed system could not be activated again: \(why)"
                    try ledger.degraded(record.id, failedCommit: failed.id, message: message)
                    continue
                }
                // The system is back at its confirmed generation: the rollback does not switch it again.
                if SystemRecovery.applies(to: record, config: config) { attempted.removeAll { $0.action == .switch } }
            }
            let outcome = try await Rollback(engine: engine).run(
                attempted: attempted,
                to: baseSource,
                from: failedSource,
                deployment: record.id,
                reason: reason
            )
            if case .rolledBack = outcome {
                try ledger.interrupted(record.id, message: "\(reason); recovery rolled back to \(base.id.short)")
                engine.reporter.report(
                    .info("Recovered: rolled back to \(base.id.short); the target will be deployed again.")
                )
            }
        }
    }

    /// Who left the deployment running: a process that is gone, or (the same pid as this one, after a restart or
    /// an abandoned step) an earlier run of this process id, never "gone" while it is the one asking.
    static func whoStopped(_ pid: Int32) -> String {
        pid == getpid()
            ? "it was started under pid \(pid), this process's id now, by a run that stopped before it finished"
            : "pid \(pid) is gone"
    }

    /// What the dead run touched: its apply steps. A rollback killed half-way only re-applied some of those, so
    /// redoing the rollback from them covers it too.
    static func attempted(_ record: DeploymentRecord) -> [PlanStep] {
        var attempted: [PlanStep] = []
        for step in record.steps where step.phase == .apply {
            guard let action = step.action.planAction else { continue }
            let planned = PlanStep(unit: step.unit, action: action, wave: 0, reason: .changed)
            if !attempted.contains(planned) { attempted.append(planned) }
        }
        return attempted
    }
}
