import Foundation
import Git

/// How a deploy ended.
package enum DeployOutcome: Sendable, Equatable {
    case succeeded
    /// Nothing to deploy (up to date, held, or a commit that failed before).
    case nothingToDo(String)
    /// The target failed validation: nothing was changed.
    case invalid(String)
    /// A step failed and the rollback brought the previous commit back.
    case rolledBack(String)
    /// A step failed and there was no earlier commit to roll back to.
    case failed(String)
    /// The rollback failed too.
    case degraded(String)

    package var exitCode: ReconcilerError.ExitCode {
        switch self {
        case .succeeded, .nothingToDo: .ok
        case .invalid: .configuration
        case .rolledBack, .failed: .deployFailed
        case .degraded: .degraded
        }
    }
}

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

extension Reconciler {
    /// Runs one step, records it in the state, and reports it. Returns nil when it passed, else why not.
    func run(_ step: PlanStep, phase: StepPhase, deployment: Int64, site: StepSite) async -> String? {
        let started = ContinuousClock.now
        let action = step.action.rawValue
        reporter.report(.stepStarted(phase: phase, unit: step.unit, action: action))
        let stepID = try? store.beginStep(deployment: deployment, phase: phase, unit: step.unit, action: action)
        var failure: String?
        var tail = ""
        var status: Int32?
        let reporter = self.reporter
        let unitName = step.unit
        let echo: @Sendable (String) -> Void = { reporter.report(.output(unit: unitName, line: $0)) }
        do {
            switch step.action {
            case .switch:
                let result = try await runner.run(
                    site.config.system.switch,
                    in: repository.workdir,
                    environment: markerEnvironment(deployment),
                    timeout: .seconds(3600),
                    onLine: echo
                )
                tail = result.outputTail
                status = result.status
                if !result.succeeded {
                    failure = "system switch exited \(result.status): \(result.outputTail.lastLines(4))"
                }
            case .up, .down:
                guard let unit = site.units.units[step.unit] else {
                    failure = "unit \(step.unit) is not in the commit's services"
                    break
                }
                let directory = "\(site.filesRoot)/\(unit.directory)"
                let compose = compose(site.config, deployment: deployment)
                let result =
                    step.action == .up
                    ? try await compose.up(unit, in: directory, onLine: echo)
                    : try await compose.down(unit, in: directory, onLine: echo)
                tail = result.outputTail
                status = result.status
                if !result.succeeded {
                    failure = "compose \(action) exited \(result.status): \(result.outputTail.lastLines(4))"
                } else if step.action == .up {
                    let verdict = try await HealthGate(compose: compose).wait(
                        for: unit,
                        in: directory,
                        timeout: site.config.healthTimeout(for: unit.id),
                        progress: { elapsed, detail in
                            reporter.report(.stepWaiting(unit: unitName, elapsed: elapsed, detail: detail))
                        }
                    )
                    switch verdict {
                    case .passed(let summary): tail += "\nhealth: \(summary)"
                    case .failed(let why):
                        tail += "\nhealth: \(why)"
                        failure = why
                    }
                }
            }
        } catch {
            failure = "\(error)"
        }
        let duration = ContinuousClock.now - started
        if let stepID {
            try? store.finishStep(
                stepID,
                result: failure == nil ? .succeeded : .failed,
                exitCode: status,
                message: failure,
                logTail: tail
            )
        }
        recordUnitState(step, phase: phase, site: site, failure: failure)
        reporter.report(
            .stepFinished(
                phase: phase,
                unit: step.unit,
                action: action,
                ok: failure == nil,
                message: failure ?? (step.action == .up ? "healthy" : "done"),
                duration: duration
            )
        )
        return failure
    }

    private func recordUnitState(_ step: PlanStep, phase: StepPhase, site: StepSite, failure: String?) {
        let commit = site.commit.hex
        switch (step.action, failure) {
        case (.up, nil), (.switch, nil):
            try? store.setUnit(step.unit, commit: commit, state: .running, message: nil)
        case (.down, nil):
            try? store.removeUnit(step.unit)
        case (_, let failure?):
            try? store.setUnit(step.unit, commit: commit, state: .failed, message: failure)
        }
    }

    /// Runs `steps` in order: the system and downs one by one, services wave by wave with bounded parallelism.
    /// Stops starting steps at the first failure (steps already running finish). Returns the steps started.
    func run(
        _ steps: [PlanStep],
        phase: StepPhase,
        deployment: Int64,
        site: StepSite,
        parallelism: Int,
        downSite: StepSite? = nil
    ) async -> (attempted: [PlanStep], failure: StepFailure?) {
        var attempted: [PlanStep] = []
        for step in steps where step.action != .up {
            attempted.append(step)
            if let why = await run(
                step,
                phase: phase,
                deployment: deployment,
                site: step.action == .down ? (downSite ?? site) : site
            ) {
                return (attempted, StepFailure(step: step, message: why))
            }
        }
        let ups = steps.filter { $0.action == .up }
        if let first = ups.first, let why = await ensureNetworks(site.config) {
            return (attempted, StepFailure(step: first, message: why))
        }
        for wave in Set(ups.map(\.wave)).sorted() {
            let members = ups.filter { $0.wave == wave }
            var failure: StepFailure?
            await withTaskGroup(of: (PlanStep, String?).self) { group in
                var next = 0
                func start() {
                    let step = members[next]
                    next += 1
                    attempted.append(step)
                    group.addTask { (step, await self.run(step, phase: phase, deployment: deployment, site: site)) }
                }
                while next < members.count && next < max(1, parallelism) { start() }
                for await (step, why) in group {
                    if let why, failure == nil { failure = StepFailure(step: step, message: why) }
                    if failure == nil && next < members.count { start() }
                }
            }
            if let failure { return (attempted, failure) }
        }
        return (attempted, nil)
    }

    /// Applies a validated plan: checks out the target, runs its steps, and on failure rolls back to `base`.
    package func execute(
        plan: Plan,
        source: DeploySource?,
        base: DeploySource?,
        target: DeployTarget,
        deployment: Int64
    ) async throws -> DeployOutcome {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // A pruned unit is taken down with the files it was brought up with, which the checkout removes.
        var oldSite: StepSite?
        if let source, let oldUnits = source.units, !plan.pruned.isEmpty {
            let dirs = plan.pruned.compactMap { oldUnits.units[$0]?.directory }
            try TreeMaterializer(repository: repository).materialize(
                commit: source.commit.id,
                directories: dirs,
                into: scratch.path,
                entries: source.entries
            )
            oldSite = StepSite(
                config: source.config ?? target.config,
                units: oldUnits,
                filesRoot: scratch.path,
                commit: source.commit.id
            )
        }
        try repository.checkout(target.commit.id)
        reporter.report(.info("Checked out \(target.commit.id.short) \(target.commit.summary)"))
        let site = StepSite(
            config: target.config,
            units: target.units,
            filesRoot: repository.workdir,
            commit: target.commit.id
        )
        let (attempted, failure) = await run(
            plan.steps,
            phase: .apply,
            deployment: deployment,
            site: site,
            parallelism: target.config.services.parallelism,
            downSite: oldSite
        )
        guard let failure else {
            try store.setDeployedCommit(target.commit.id.hex)
            try store.finishDeployment(deployment, result: .succeeded, message: nil)
            return .succeeded
        }
        let why = "\(failure.step.unit) \(failure.step.action.rawValue) failed: \(failure.message)"
        return try await rollBack(
            attempted: attempted,
            to: base,
            from: DeploySource(target),
            deployment: deployment,
            reason: why
        )
    }

    /// Brings every attempted step back to `base`: the system switched again, units that exist there brought up with
    /// its files, units new in the failed commit taken down, units it pruned brought back.
    package func rollBack(
        attempted: [PlanStep],
        to base: DeploySource?,
        from failed: DeploySource,
        deployment: Int64,
        reason: String
    ) async throws -> DeployOutcome {
        guard let base else {
            try store.finishDeployment(
                deployment,
                result: .failed,
                message: "\(reason); no earlier deployed commit to roll back to"
            )
            return .failed(reason)
        }
        reporter.report(.warning("\(reason)\nRolling back to \(base.commit.id.short) \(base.commit.summary)"))
        let failedConfig = failed.config ?? Config()
        let baseConfig = base.config ?? failedConfig
        let baseUnits = base.units ?? UnitSet()
        let failedUnits = failed.units ?? UnitSet()

        var steps: [PlanStep] = []
        if attempted.contains(where: { $0.action == .switch }) {
            steps.append(PlanStep(unit: "system", action: .switch, wave: 0, reason: .changed))
        }
        let touched = Set(attempted.filter { $0.action != .switch }.map(\.unit))
        let newInFailed = touched.filter { baseUnits.units[$0] == nil }
        for id in newInFailed.sorted() {
            steps.append(PlanStep(unit: id, action: .down, wave: 0, reason: .changed))
        }
        let restore = touched.filter { baseUnits.units[$0] != nil }
        let graph = try? baseConfig.validate(units: baseUnits)
        let waves = graph?.waves(restore) ?? [restore.sorted()]
        for (index, wave) in waves.enumerated() {
            for id in wave { steps.append(PlanStep(unit: id, action: .up, wave: index + 1, reason: .changed)) }
        }

        // Units new in the failed commit are taken down with its files, which checking out the base removes.
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let newDirs = newInFailed.compactMap { failedUnits.units[$0]?.directory }
        try TreeMaterializer(repository: repository).materialize(
            commit: failed.commit.id,
            directories: newDirs,
            into: scratch.path,
            entries: failed.entries
        )
        let downSite = StepSite(
            config: failedConfig,
            units: failedUnits,
            filesRoot: scratch.path,
            commit: failed.commit.id
        )

        do {
            try repository.checkout(base.commit.id)
        } catch {
            let message = "\(reason); rollback could not check out \(base.commit.id.short): \(error)"
            try store.setDegraded(failed.commit.id.hex, reason: message)
            try store.finishDeployment(deployment, result: .degraded, message: message)
            return .degraded(message)
        }
        let site = StepSite(config: baseConfig, units: baseUnits, filesRoot: repository.workdir, commit: base.commit.id)
        let (_, rollbackFailure) = await run(
            steps,
            phase: .rollback,
            deployment: deployment,
            site: site,
            parallelism: baseConfig.services.parallelism,
            downSite: downSite
        )
        if let rollbackFailure {
            let message =
                "\(reason); rollback to \(base.commit.id.short) failed too: \(rollbackFailure.step.unit) \(rollbackFailure.step.action.rawValue): \(rollbackFailure.message)"
            try store.setDegraded(failed.commit.id.hex, reason: message)
            try store.finishDeployment(deployment, result: .degraded, message: message)
            return .degraded(message)
        }
        try store.setDeployedCommit(base.commit.id.hex)
        try store.finishDeployment(deployment, result: .rolledBack, message: reason)
        return .rolledBack(reason)
    }
}
