import Foundation
import Git

extension Reconciler {
    /// Finishes what a killed reconciler left half-way: every deployment still marked running (we hold the lock, so its
    /// process is gone) is rolled back to the commit it started from, and the history says so.
    package func recoverInterrupted() async throws {
        for record in try store.runningDeployments() {
            reporter.report(
                .warning(
                    "Deployment #\(record.id) (\(record.trigger) to \(record.toCommit.prefix(12))) was interrupted (pid \(record.pid) is gone); recovering."
                )
            )
            // Whatever the dead process had started (a `compose up` half-way) finishes before anything else runs.
            let leftovers = await Leftovers.settle(
                tag: Leftovers.tag(store: store, deployment: record.id),
                timeout: .seconds(120)
            )
            if leftovers > 0 {
                reporter.report(.info("Waited for \(leftovers) process(es) the interrupted deployment had started."))
            }
            for step in record.steps where step.result == .running {
                try store.finishStep(
                    step.id,
                    result: .failed,
                    exitCode: nil,
                    message: "interrupted: the reconciler died during this step",
                    logTail: step.logTail
                )
            }
            guard let failed = try? repository.commit(for: record.toCommit) else {
                try store.finishDeployment(
                    record.id,
                    result: .interrupted,
                    message: "interrupted; its target commit is no longer in the repository"
                )
                continue
            }
            // The apply steps say what was touched; a rollback killed half-way only re-applied some of those, so
            // redoing the rollback from them covers it too.
            var attempted: [PlanStep] = []
            for step in record.steps where step.phase == .apply {
                guard let action = PlanStep.Action(rawValue: step.action) else { continue }
                let planned = PlanStep(unit: step.unit, action: action, wave: 0, reason: .changed)
                if !attempted.contains(planned) { attempted.append(planned) }
            }
            let base = record.fromCommit.flatMap { try? repository.commit(for: $0) }
            let reason = "deployment #\(record.id) was interrupted (pid \(record.pid) died)"
            guard let base else {
                // Nothing to go back to: the next sync deploys the target again from the start.
                try store.finishDeployment(
                    record.id,
                    result: .interrupted,
                    message: "\(reason); no earlier commit to roll back to"
                )
                continue
            }
            let outcome = try await rollBack(
                attempted: attempted,
                to: try loadSource(base),
                from: try loadSource(failed),
                deployment: record.id,
                reason: reason
            )
            if case .rolledBack = outcome {
                try store.finishDeployment(
                    record.id,
                    result: .interrupted,
                    message: "\(reason); recovery rolled back to \(base.id.short)"
                )
                reporter.report(.info("Recovered: rolled back to \(base.id.short); the target will be deployed again."))
            }
        }
    }
}
