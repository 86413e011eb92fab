import Foundation
import Git

/// Which units an operator names on the command line.
package enum UnitSelection: Sendable {
    case units([String])
    case group(String)
    case all
}

extension Reconciler {
    /// The deployed commit, loaded as a target, for commands that act on what is deployed.
    package func deployedTarget() throws -> DeployTarget {
        guard let commit = try deployedCommit() ?? repository.head() else {
            throw ReconcilerError(
                .configuration,
                "nothing is deployed in \(repository.workdir) yet: run `reconciler sync` first"
            )
        }
        return try loadTarget(commit)
    }

    /// Resolves a selection to unit ids of `target`, or says which name is unknown and what the known ones are.
    package func resolve(_ selection: UnitSelection, in target: DeployTarget) throws -> [String] {
        let known = target.units.ids
        switch selection {
        case .all:
            return known
        case .group(let name):
            guard let members = target.config.groups[name] else {
                let groups = target.config.groups.keys.sorted()
                throw ReconcilerError(
                    .configuration,
                    "no group named \(name) in reconciler.json; groups: \(groups.isEmpty ? "none" : groups.joined(separator: ", "))"
                )
            }
            return members
        case .units(let ids):
            for id in ids where !known.contains(id) {
                throw ReconcilerError(
                    .configuration,
                    "no unit named \(id) under \(target.config.services.root)/; units: \(known.joined(separator: ", "))"
                )
            }
            return ids
        }
    }

    /// `reconciler deploy`: bring units (and any dependency of theirs that is down) up at the deployed commit.
    package func ensure(_ selection: UnitSelection, trigger: String = "deploy") async throws -> DeployOutcome {
        try await recoverInterrupted()
        try checkNotDegraded()
        try checkDrift()
        let target = try deployedTarget()
        let ids = try resolve(selection, in: target)
        let plan = await ensurePlan(Set(ids), target: target, at: target.commit)
        reporter.report(.plan(plan))
        let deployment = try store.beginDeployment(
            from: target.commit.id.hex,
            to: target.commit.id.hex,
            trigger: trigger,
            plan: plan.json()
        )
        let units = plan.units.compactMap { target.units.units[$0] }
        let failures = await runChecks(
            units: units,
            filesRoot: repository.workdir,
            config: target.config,
            systemCheckRoot: nil,
            deployment: deployment
        )
        if !failures.isEmpty {
            let message = failures.map { "\($0.unit): \($0.message)" }.joined(separator: "\n")
            try store.finishDeployment(deployment, result: .failed, message: message)
            return .invalid(message)
        }
        let site = StepSite(
            config: target.config,
            units: target.units,
            filesRoot: repository.workdir,
            commit: target.commit.id
        )
        let (_, failure) = await run(
            plan.steps,
            phase: .apply,
            deployment: deployment,
            site: site,
            parallelism: target.config.services.parallelism
        )
        if let failure {
            let message = "\(failure.step.unit) up failed: \(failure.message)"
            try store.finishDeployment(deployment, result: .failed, message: message)
            return .failed(message)
        }
        try store.finishDeployment(deployment, result: .succeeded, message: nil)
        return .succeeded
    }

    /// `reconciler stop`: take a unit's containers down; it stays down until a deploy, sync or restart needs it.
    package func stop(_ ids: [String]) async throws {
        try await recoverInterrupted()
        let target = try deployedTarget()
        _ = try resolve(.units(ids), in: target)
        for id in ids {
            guard let unit = target.units.units[id] else { continue }
            let started = ContinuousClock.now
            reporter.report(.stepStarted(phase: .apply, unit: id, action: "stop"))
            let result = try await compose(target.config).down(unit, in: absolute(unit.directory))
            let ok = result.succeeded
            try store.setUnit(
                id,
                commit: target.commit.id.hex,
                state: ok ? .stopped : .failed,
                message: ok ? "stopped by an operator" : result.outputTail.lastLines(4)
            )
            reporter.report(
                .stepFinished(
                    phase: .apply,
                    unit: id,
                    action: "stop",
                    ok: ok,
                    message: ok ? "stopped" : "compose down exited \(result.status): \(result.outputTail.lastLines(4))",
                    duration: ContinuousClock.now - started
                )
            )
            if !ok { throw ReconcilerError(.deployFailed, "\(id): compose down failed") }
        }
    }

    /// The argument vector and directory that show a unit's logs (the command replaces itself with it).
    package func logsCommand(_ id: String, follow: Bool, tail: Int?) throws -> (argv: [String], directory: String) {
        let target = try deployedTarget()
        _ = try resolve(.units([id]), in: target)
        let unit = target.units.units[id]!
        var argv =
            target.config.services.compose + [
                "--project-name", unit.projectName, "--file", unit.composeFile, "logs",
            ]
        if follow { argv.append("--follow") }
        if let tail { argv += ["--tail", String(tail)] }
        return (argv, absolute(unit.directory))
    }
}

extension Reconciler {
    /// `reconciler validate`: every check of a deploy's step 1, for every unit, on the work tree as it is.
    package func validateWorkTree() async -> [ValidationFailure] {
        let config: Config
        let units: UnitSet
        do {
            config = try workTreeConfig()
            units = try workTreeUnits(config: config)
            _ = try config.validate(units: units)
        } catch {
            return [ValidationFailure(unit: Self.configFileName, check: "configuration", message: "\(error)")]
        }
        let hasSystem = units.hasSystem && config.system.check != nil
        return await runChecks(
            units: units.ids.compactMap { units.units[$0] },
            filesRoot: repository.workdir,
            config: config,
            systemCheckRoot: hasSystem ? repository.workdir : nil,
            deployment: nil
        )
    }
}
