import Git

/// Decides what a deploy does, without I/O: the changed paths between D and T, the units of both, and which units
/// run now go in; a ``Plan`` (the system first, prunes, then services in dependency waves) comes out.
package enum Planner {
    /// What the change from `source` to `target` touches (the contract's path table).
    package static func impact(changes: [Change], source: DeploySource?, target: DeployTarget) -> Impact {
        PathMapper.impact(
            changes: changes,
            old: source?.units,
            new: target.units,
            oldConfig: source?.config,
            newConfig: target.config
        )
    }

    /// The units whose being up decides the plan: dependencies (direct or not) of `ids` outside `ids`. Ask the
    /// driver which of these run, and pass the answer to ``plan(impact:source:target:running:)``.
    package static func dependencies(of ids: Set<String>, in target: DeployTarget) -> Set<String> {
        target.graph.closure(ids).subtracting(ids).filter { target.units.units[$0] != nil }
    }

    /// What deploying `target` over `source` does: the impact's system switch, prunes and units, plus any dependency
    /// of a changed unit that is not in `running` (the seed's `ensure-` semantics).
    package static func plan(
        impact: Impact,
        source: DeploySource?,
        target: DeployTarget,
        running: Set<String>
    ) -> Plan {
        // A source whose units cannot be read is treated like no source: everything is applied.
        let firstDeploy = source?.units == nil
        var steps: [PlanStep] = []
        if impact.system {
            steps.append(
                PlanStep(
                    unit: UnitID.system,
                    action: .switch,
                    wave: 0,
                    reason: firstDeploy ? .firstDeploy : .changed,
                    paths: impact.reasons[UnitID.system] ?? []
                )
            )
        }
        for id in impact.pruned.sorted() {
            steps.append(PlanStep(unit: id, action: .down, wave: 0, reason: .pruned, paths: impact.reasons[id] ?? []))
        }
        var reasons: [String: PlanStep.Reason] = [:]
        for id in impact.units { reasons[id] = firstDeploy ? .firstDeploy : .changed }
        for id in dependencies(of: impact.units, in: target).subtracting(running) { reasons[id] = .dependency }
        steps += serviceSteps(Set(reasons.keys), graph: target.graph) { id in
            (reasons[id] ?? .changed, impact.reasons[id] ?? [])
        }
        return Plan(
            from: source.map { CommitRef($0.commit) },
            to: CommitRef(target.commit),
            steps: steps,
            ignoredPaths: impact.ignoredPaths.sorted()
        )
    }

    /// A plan that brings `ids`, and any dependency of theirs not in `running`, up at `target` (`reconciler deploy`).
    package static func ensure(_ ids: Set<String>, target: DeployTarget, running: Set<String>) -> Plan {
        let selected = ids.union(dependencies(of: ids, in: target).subtracting(running))
        let steps = serviceSteps(selected, graph: target.graph) { id in
            (ids.contains(id) ? .requested : .dependency, [])
        }
        let commit = CommitRef(target.commit)
        return Plan(from: commit, to: commit, steps: steps, ignoredPaths: [])
    }

    /// The steps that bring every attempted step back to `base`: the system switched again, units new in the
    /// failed commit taken down, the others (units `base` has, pruned ones included) brought up in `base`'s waves.
    package static func rollback(attempted: [PlanStep], base: UnitSet, graph: DependencyGraph?) -> [PlanStep] {
        var steps: [PlanStep] = []
        if attempted.contains(where: { $0.action == .switch }) {
            steps.append(PlanStep(unit: UnitID.system, action: .switch, wave: 0, reason: .changed))
        }
        let touched = Set(attempted.filter { $0.action != .switch }.map(\.unit))
        for id in touched.filter({ base.units[$0] == nil }).sorted() {
            steps.append(PlanStep(unit: id, action: .down, wave: 0, reason: .changed))
        }
        let restore = touched.filter { base.units[$0] != nil }
        let waves = graph?.waves(restore) ?? [restore.sorted()]
        for (index, wave) in waves.enumerated() {
            for id in wave { steps.append(PlanStep(unit: id, action: .up, wave: index + 1, reason: .changed)) }
        }
        return steps
    }

    /// `up` steps for `ids` in dependency waves (numbered from 1), each with its reason and paths.
    static func serviceSteps(
        _ ids: Set<String>,
        graph: DependencyGraph,
        why: (String) -> (PlanStep.Reason, [String])
    ) -> [PlanStep] {
        graph.waves(ids).enumerated().flatMap { index, wave in
            wave.map { id in
                let (reason, paths) = why(id)
                return PlanStep(unit: id, action: .up, wave: index + 1, reason: reason, paths: paths)
            }
        }
    }
}
