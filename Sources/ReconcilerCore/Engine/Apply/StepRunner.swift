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
    /// Where a failed system step left the system.
    var system: SystemAfterFailure = .toRollBack

    init(step: PlanStep, problem: StepProblem) {
        self.step = step
        self.message = problem.message
        self.system = problem.system
    }

    init(step: PlanStep, message: String) {
        self.step = step
        self.message = message
    }
}

/// Where a failed system step left the system.
enum SystemAfterFailure: Sendable, Equatable {
    /// As any step: the rollback applies it again with the base commit's files.
    case toRollBack
    /// The generation current before the step is active and confirmed again: nothing for the rollback to redo.
    case restored
    /// The generation current before the step did not confirm either: degraded.
    case notRestored
}

/// Why a step failed, and (for the system step) where it left the system.
struct StepProblem: Sendable {
    let message: String
    var system: SystemAfterFailure = .toRollBack
}

/// Runs one plan step through the driver: records it first, runs it (an `up` then waits on the health gate),
/// records how it ended and the unit's state, and reports it.
struct StepRunner: Sendable {
    let engine: Engine
    /// The units the plan being run changes (the system step's confirm does not expect them as they were).
    var changing: Set<String> = []

    /// Returns nil when the step passed, else why not.
    func run(_ step: PlanStep, phase: StepPhase, deployment: Int64, site: StepSite) async -> StepProblem? {
        let started = ContinuousClock.now
        let action = step.action.rawValue
        let reporter = engine.reporter
        reporter.report(.stepStarted(phase: phase, unit: step.unit, action: action))
        var failure: String?
        var tail = ""
        var status: Int32?
        var system = SystemAfterFailure.toRollBack
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
                (failure, tail, status, system) = try await act(step, deployment: deployment, site: site)
            } catch {
                failure = "\(error)"
            }
        }
        // State first: an outcome that cannot be recorded fails the step, so the deploy stops and rolls back.
        do {
            if let stepID {
                try engine.ledger.finishStep(stepID, failure: failure, exitCode: status, logTail: tail)
            }
            let note = step.action == .switch && tail.hasPrefix(StatusReport.rebootPrefix) ? tail : nil
            try engine.ledger.unitApplied(
                step.unit,
                action: step.action,
                commit: site.commit,
                failure: failure,
                note: note
            )
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
        return failure.map { StepProblem(message: $0, system: system) }
    }

    private func act(
        _ step: PlanStep,
        deployment: Int64,
        site: StepSite
    ) async throws -> (failure: String?, tail: String, status: Int32?, system: SystemAfterFailure) {
        let context = engine.context(site.config, deployment: deployment, unit: step.unit)
        let driver = engine.driver
        switch step.action {
        case .switch:
            let outcome = await SystemStep(
                engine: engine,
                config: site.config,
                context: context,
                changing: changing,
                units: site.units
            ).run()
            switch outcome {
            case .done(let reboot):
                let note =
                    reboot.isEmpty
                    ? "active and confirmed" : "\(StatusReport.rebootPrefix)\(reboot.joined(separator: ", "))"
                return (nil, note, 0, .toRollBack)
            case .failed(let why): return (why, why, nil, .toRollBack)
            case .fellBack(let why): return (why, why, nil, .restored)
            case .notRestored(let why): return (why, why, nil, .notRestored)
            }
        case .up, .down:
            guard let unit = site.units.units[step.unit] else {
                return ("unit \(step.unit) is not in the commit's services", "", nil, .toRollBack)
            }
            let directory = "\(site.filesRoot)/\(unit.directory)"
            if step.action == .up, site.filesRoot == engine.repository.workdir {
                // What is on disk now (untracked links too) must stay inside the repository.
                do {
                    _ = try SymlinkContainment.resolveOnDisk("\(directory)/\(unit.composeFile)", root: site.filesRoot)
                } catch {
                    return ("\(error)", "", nil, .toRollBack)
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
                return (failure, tail, result.status, .toRollBack)
            }
            guard step.action == .up else { return (nil, tail, result.status, .toRollBack) }
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
                return (nil, tail, result.status, .toRollBack)
            case .failed(let why):
                tail += "\nhealth: \(why)"
                return (why, tail, result.status, .toRollBack)
            }
        }
    }
}
