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
            // Under `hosts` a group may span hosts: each host acts on its own members.
            let mine = members.filter { known.contains($0) }
            if mine.isEmpty, !members.isEmpty, let host, !target.config.hosts.isEmpty {
                throw ReconcilerError(
                    .configuration,
                    "group \(name) has no unit on host \(host) (its units: \(members.joined(separator: ", "))); "
                        + "run this on the host that runs them"
                )
            }
            return mine
        case .units(let ids):
            for id in ids where !known.contains(id) {
                if let owner = target.config.hosts.keys.sorted().first(where: { target.config.hosts[$0]!.owns(id) }),
                    owner != host
                {
                    throw ReconcilerError(
                        .configuration,
                        "unit \(id) runs on host \(owner), and this reconciler deploys host \(host ?? "?")'s units; "
                            + "run it on \(owner) (or with --host \(owner) there)"
                    )
                }
                throw ReconcilerError(
                    .configuration,
                    "no unit named \(id) under \(target.config.services.root)/; units: \(known.joined(separator: ", "))"
                )
            }
            return ids
        }
    }

    /// `reconciler deploy`: bring units (and any dependency of theirs that is down) up at the deployed commit; the
    /// unit id `system` runs the system step again.
    package func deploy(
        _ selection: UnitSelection,
        trigger: DeploymentTrigger = .deploy
    ) async throws
        -> DeployOutcome
    {
        try await recoverInterrupted()
        try checkNotDegraded()
        try checkDrift()
        let target = try deployedTarget()
        // `deploy system` runs the system step again at the deployed commit (`make update-system`), first.
        var selection = selection
        var system = false
        if case .units(let named) = selection, named.contains(UnitID.system) {
            guard target.units.hasSystem else {
                throw ReconcilerError(
                    .configuration,
                    "no system to deploy: the deployed commit has no \(target.config.system.root)/ directory"
                        + (host.map { " for host \($0)" } ?? "")
                )
            }
            system = true
            selection = .units(named.filter { $0 != UnitID.system })
        }
        let ids = Set(try resolve(selection, in: target))
        let running = await running(Planner.dependencies(of: ids, in: target), in: target)
        var plan = Planner.ensure(ids, target: target, running: running)
        if system {
            plan.steps.insert(PlanStep(unit: UnitID.system, action: .switch, wave: 0, reason: .requested), at: 0)
        }
        reporter.report(.plan(plan))
        let ledger = self.ledger
        let deployment = try ledger.begin(from: target.commit.id, to: target.commit.id, trigger: trigger, plan: plan)
        let failures = await Validator(engine: engine).runChecks(
            units: plan.units.compactMap { target.units.units[$0] },
            filesRoot: repository.workdir,
            config: target.config,
            systemCheckRoot: system ? repository.workdir : nil,
            deployment: deployment
        )
        if !failures.isEmpty {
            let message = failures.map { "\($0.unit): \($0.message)" }.joined(separator: "\n")
            try ledger.failed(deployment, message: message, failedCommit: nil)
            return .invalid(message)
        }
        let site = StepSite(
            config: target.config,
            units: target.units,
            filesRoot: repository.workdir,
            commit: target.commit.id
        )
        let (_, failure) = await Applier(engine: engine).run(
            plan.steps,
            phase: .apply,
            deployment: deployment,
            site: site,
            parallelism: target.config.services.parallelism,
            graph: target.graph
        )
        if let failure {
            let message = "\(failure.step.unit) \(failure.step.action.rawValue) failed: \(failure.message)"
            try ledger.failed(deployment, message: message, failedCommit: nil)
            return .failed(message)
        }
        try ledger.succeeded(deployment, at: nil)
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
            reporter.report(.stepStarted(phase: .apply, unit: id, action: StepAction.stop.rawValue))
            let result = try await driver.down(unit, in: engine.absolute(unit.directory), engine.context(target.config))
            let failure = result.succeeded ? nil : result.outputTail.lastLines(4)
            try ledger.unitStopped(id, commit: target.commit.id, failure: failure)
            reporter.report(
                .stepFinished(
                    phase: .apply,
                    unit: id,
                    action: StepAction.stop.rawValue,
                    ok: result.succeeded,
                    message: failure.map { "compose down exited \(result.status): \($0)" } ?? "stopped",
                    duration: ContinuousClock.now - started
                )
            )
            if failure != nil { throw ReconcilerError(.deployFailed, "\(id): compose down failed") }
        }
    }

    /// `reconciler restart`: stop the units, then deploy them again, health-gated.
    package func restart(_ ids: [String]) async throws -> DeployOutcome {
        try await stop(ids)
        return try await deploy(.units(ids), trigger: .restart)
    }

    /// The command that shows a unit's logs (the `logs` command runs it through the masked runner).
    package func logsCommand(_ id: String, follow: Bool, tail: Int?) async throws -> Invocation {
        let target = try deployedTarget()
        _ = try resolve(.units([id]), in: target)
        let unit = target.units.units[id]!
        return await driver.logs(
            unit,
            in: engine.absolute(unit.directory),
            follow: follow,
            tail: tail,
            engine.context(target.config)
        )
    }

    /// `reconciler validate`: every check of a deploy's step 1, for every unit, on the work tree as it is.
    package func validateWorkTree() async -> [ValidationFailure] {
        let config: Config
        let units: UnitSet
        do {
            let read = try workTreeConfig()
            let all = try allWorkTreeUnits(config: read)
            _ = try read.validate(units: all)
            try read.validateHosts(units: all)
            let scope = try scope(read)
            config = try scope?.config(read, units: all) ?? read
            units = scope?.units(all) ?? all
        } catch {
            return [ValidationFailure(unit: Self.configFileName, check: "configuration", message: "\(error)")]
        }
        // The checked-out commit's tree: entries that would write outside the work tree. Reported, and the other
        // checks still run (they read the work tree, not the tree). A tracked `.env` is the `.env` audit's to report
        // (`validate` runs it too), once per file, naming its unit.
        var failures: [ValidationFailure] = []
        if let head = try? repository.head(), let problems = try? repository.unsafeTreePaths(at: head.id),
            !problems.isEmpty
        {
            let refusal = CommitRefusal(commit: head.id, reason: .unsafeTreePaths(problems))
            failures.append(ValidationFailure(unit: "tree", check: "paths", message: refusal.description))
        }
        let hasSystem = units.hasSystem && config.system.check != nil
        return failures
            + (await Validator(engine: engine).runChecks(
                units: units.ids.compactMap { units.units[$0] },
                filesRoot: repository.workdir,
                config: config,
                systemCheckRoot: hasSystem ? repository.workdir : nil,
                deployment: nil
            ))
    }
}
