import Foundation
import Git

/// Where a step finds its unit and files.
struct StepSite: Sendable {
    let config: Config
    let units: UnitSet
    /// Root under which unit directories are found (the work tree, or a scratch copy of another commit).
    let filesRoot: String
    /// The commit the unit is brought to (recorded in unit state).
    let commit: ObjectID
}

struct StepFailure: Sendable {
    let step: PlanStep
    let message: String
}

/// Runs one plan step through the driver: records it first, runs it (an `up` then waits on the health gate),
/// records how it ended and the unit's state, and reports it.
struct StepRunner: Sendable {
    let engine: Engine

    /// Returns nil when the step passed, else why not.
    func run(_ step: PlanStep, phase: StepPhase, deployment: Int64, site: StepSite) async -> String? {
        let started = ContinuousClock.now
        let action = step.action.rawValue
        let reporter = engine.reporter
        reporter.report(.stepStarted(phase: phase, unit: step.unit, action: action))
        var failure: String?
        var tail = ""
        var status: Int32?
        let stepID: Int64?
        do {
            stepID = try engine.ledger.beginStep(
                deployment,
                phase: phase,
                unit: step.unit,
                action: StepAction(step.action)
            )
        } catch {
            // State first, then act: a step that cannot be recorded is not run.
            stepID = nil
            failure = "cannot record the step, so it was not run: \(error)"
        }
        if failure == nil {
            do {
                (failure, tail, status) = try await act(step, deployment: deployment, site: site)
            } catch {
                failure = "\(error)"
            }
        }
        // State first: an outcome that cannot be recorded fails the step, so the deploy stops and rolls back.
        do {
            if let stepID {
                try engine.ledger.finishStep(stepID, failure: failure, exitCode: status, logTail: tail)
            }
            try engine.ledger.unitApplied(step.unit, action: step.action, commit: site.commit, failure: failure)
        } catch {
            if failure == nil {
                failure = "cannot record the step's outcome in the state, so the deploy stops: \(error)"
            }
        }
        reporter.report(
            .stepFinished(
                phase: phase,
                unit: step.unit,
                action: action,
                ok: failure == nil,
                message: failure ?? (step.action == .up ? "healthy" : "done"),
                duration: ContinuousClock.now - started
            )
        )
        return failure
    }

    private func act(
        _ step: PlanStep,
        deployment: Int64,
        site: StepSite
    ) async throws -> (failure: String?, tail: String, status: Int32?) {
        let context = engine.context(site.config, deployment: deployment, unit: step.unit)
        let driver = engine.driver
        switch step.action {
        case .switch:
            let result = try await driver.switch(site.config.system.switch, in: engine.repository.workdir, context)
            let failure =
                result.succeeded ? nil : "system switch exited \(result.status): \(result.outputTail.lastLines(4))"
            return (failure, result.outputTail, result.status)
        case .up, .down:
            guard let unit = site.units.units[step.unit] else {
                return ("unit \(step.unit) is not in the commit's services", "", nil)
            }
            let directory = "\(site.filesRoot)/\(unit.directory)"
            if step.action == .up, site.filesRoot == engine.repository.workdir {
                // What is on disk now (untracked links too) must stay inside the repository.
                do {
                    _ = try SymlinkContainment.resolveOnDisk("\(directory)/\(unit.composeFile)", root: site.filesRoot)
                } catch {
                    return ("\(error)", "", nil)
                }
            }
            let result =
                step.action == .up
                ? try await driver.up(unit, in: directory, context)
                : try await driver.down(unit, in: directory, context)
            var tail = result.outputTail
            guard result.succeeded else {
                let failure =
                    "compose \(step.action.rawValue) exited \(result.status): \(result.outputTail.lastLines(4))"
                return (failure, tail, result.status)
            }
            guard step.action == .up else { return (nil, tail, result.status) }
            let reporter = engine.reporter
            let unitName = step.unit
            let verdict = try await HealthGate(driver: driver, context: context).wait(
                for: unit,
                in: directory,
                timeout: site.config.healthTimeout(for: unit.id),
                progress: { elapsed, detail in
                    reporter.report(.stepWaiting(unit: unitName, elapsed: elapsed, detail: detail))
                }
            )
            switch verdict {
            case .passed(let summary):
                tail += "\nhealth: \(summary)"
                return (nil, tail, result.status)
            case .failed(let why):
                tail += "\nhealth: \(why)"
                return (why, tail, result.status)
            }
        }
    }
}
