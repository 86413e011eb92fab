import Foundation
import Git

/// Applies a validated plan: checks out the target, runs the system and prune steps one by one, then services with
/// bounded parallelism, each as soon as its dependencies are healthy, each `up` health-gated; on the first failure,
/// rolls back (``Rollback``).
struct Applier: Sendable {
    let engine: Engine

    /// Runs the plan of `deployment` and records how it ended (succeeded, rolled back, failed or degraded).
    func apply(
        _ plan: Plan,
        source: DeploySource?,
        base: DeploySource?,
        target: DeployTarget,
        deployment: Int64
    ) async throws -> DeployOutcome {
        let scratch = try engine.scratch()
        defer { scratch.remove() }
        // A pruned unit is taken down with the files it was brought up with, which the checkout removes.
        var oldSite: StepSite?
        if let source, let oldUnits = source.units, !plan.pruned.isEmpty {
            let dirs = plan.pruned.compactMap { oldUnits.units[$0]?.directory }
            try TreeMaterializer(repository: engine.repository).materialize(
                commit: source.commit.id,
                directories: dirs,
                into: scratch.path,
                entries: try source.listing.entries()
            )
            oldSite = StepSite(
                config: source.config ?? target.config,
                units: oldUnits,
                filesRoot: scratch.path,
                commit: source.commit.id
            )
        }
        try engine.repository.checkout(target.commit.id)
        engine.reporter.report(.info("Checked out \(target.commit.id.short) \(target.commit.summary)"))
        let site = StepSite(
            config: target.config,
            units: target.units,
            filesRoot: engine.repository.workdir,
            commit: target.commit.id
        )
        let (attempted, failure) = await run(
            plan.steps,
            phase: .apply,
            deployment: deployment,
            site: site,
            parallelism: target.config.services.parallelism,
            graph: target.graph,
            downSite: oldSite
        )
        guard let failure else {
            try engine.ledger.succeeded(deployment, at: target.commit.id)
            return .succeeded
        }
        let why = "\(failure.step.unit) \(failure.step.action.rawValue) failed: \(failure.message)"
        if failure.system == .notRestored {
            // The host is neither the new system nor a confirmed old one: nothing more is changed until an operator
            // acts.
            try engine.ledger.degraded(deployment, failedCommit: target.commit.id, message: why)
            return .degraded(why)
        }
        return try await Rollback(engine: engine).run(
            // A system step that fell back to its generation has nothing left for the rollback to do.
            attempted: failure.system == .restored ? attempted.filter { $0 != failure.step } : attempted,
            to: base,
            from: DeploySource(target),
            deployment: deployment,
            reason: why
        )
    }

    /// Runs `steps` in order: the system and downs one by one, then the services, at most `parallelism` at once, each
    /// as soon as what it depends on is healthy. Stops starting steps at the first failure (steps already running
    /// finish). Returns the steps started.
    func run(
        _ steps: [PlanStep],
        phase: StepPhase,
        deployment: Int64,
        site: StepSite,
        parallelism: Int,
        graph: DependencyGraph? = nil,
        downSite: StepSite? = nil
    ) async -> (attempted: [PlanStep], failure: StepFailure?) {
        let runner = StepRunner(engine: engine, changing: Set(steps.map(\.unit)))
        var attempted: [PlanStep] = []
        for step in steps where step.action != .up {
            attempted.append(step)
            let stepSite = step.action == .down ? (downSite ?? site) : site
            if let problem = await runner.run(step, phase: phase, deployment: deployment, site: stepSite) {
                return (attempted, StepFailure(step: step, problem: problem))
            }
        }
        let ups = steps.filter { $0.action == .up }
        // Compose refuses to start a unit whose `external: true` network is missing: create declared ones first.
        if let first = ups.first, !site.config.networks.isEmpty {
            let outcome = await engine.driver.ensureNetworks(site.config.networks, engine.context(site.config))
            for name in outcome.created { engine.reporter.report(.info("Created network \(name)")) }
            if let why = outcome.failure { return (attempted, StepFailure(step: first, message: why)) }
        }
        // A unit starts as soon as the units it depends on (in `graph`, directly or through units outside this run)
        // are up and healthy, not when its whole wave is: waves order the plan, they are not barriers. Without a
        // graph, a unit waits for every unit of an earlier wave.
        let upUnits = Set(ups.map(\.unit))
        let waitsFor: [String: Set<String>] = Dictionary(
            ups.map { step in
                let after =
                    graph.map { $0.dependencies(of: step.unit).intersection(upUnits) }
                    ?? Set(ups.filter { $0.wave < step.wave }.map(\.unit))
                return (step.unit, after)
            },
            uniquingKeysWith: { first, _ in first }
        )
        var pending = ups
        var healthy: Set<String> = []
        var running = 0
        var failure: StepFailure?
        await withTaskGroup(of: (PlanStep, String?).self) { group in
            func startReady() {
                while failure == nil, running < max(1, parallelism),
                    let index = pending.firstIndex(where: { waitsFor[$0.unit, default: []].isSubset(of: healthy) })
                {
                    let step = pending.remove(at: index)
                    attempted.append(step)
                    running += 1
                    group.addTask {
                        (step, await runner.run(step, phase: phase, deployment: deployment, site: site)?.message)
                    }
                }
            }
            startReady()
            for await (step, why) in group {
                running -= 1
                if let why {
                    if failure == nil { failure = StepFailure(step: step, message: why) }
                } else {
                    healthy.insert(step.unit)
                }
                startReady()
            }
        }
        return (attempted, failure)
    }
}
