import Foundation
import Git

/// Applies a validated plan: checks out the target, runs the system and prune steps one by one, then services wave by
/// wave with bounded parallelism, each `up` health-gated; on the first failure, rolls back (``Rollback``).
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
            downSite: oldSite
        )
        guard let failure else {
            try engine.ledger.succeeded(deployment, at: target.commit.id)
            return .succeeded
        }
        let why = "\(failure.step.unit) \(failure.step.action.rawValue) failed: \(failure.message)"
        return try await Rollback(engine: engine).run(
            attempted: attempted,
            to: base,
            from: DeploySource(target),
            deployment: deployment,
            reason: why
        )
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
        let runner = StepRunner(engine: engine)
        var attempted: [PlanStep] = []
        for step in steps where step.action != .up {
            attempted.append(step)
            let stepSite = step.action == .down ? (downSite ?? site) : site
            if let why = await runner.run(step, phase: phase, deployment: deployment, site: stepSite) {
                return (attempted, StepFailure(step: step, message: why))
            }
        }
        let ups = steps.filter { $0.action == .up }
        // Compose refuses to start a unit whose `external: true` network is missing: create declared ones first.
        if let first = ups.first, !site.config.networks.isEmpty {
            let outcome = await engine.driver.ensureNetworks(site.config.networks, engine.context(site.config))
            for name in outcome.created { engine.reporter.report(.info("Created network \(name)")) }
            if let why = outcome.failure { return (attempted, StepFailure(step: first, message: why)) }
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
                    group.addTask { (step, await runner.run(step, phase: phase, deployment: deployment, site: site)) }
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
}
