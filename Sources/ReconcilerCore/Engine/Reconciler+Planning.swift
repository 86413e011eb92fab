import Foundation
import Git

/// Both ends of a deploy, loaded and checked.
package struct DeployTarget: Sendable {
    package let commit: Commit
    package let config: Config
    package let units: UnitSet
    package let entries: [TreeEntry]
    package let graph: DependencyGraph
}

/// The commit a deploy starts from, when there is one and it can be read.
package struct DeploySource: Sendable {
    package let commit: Commit
    package let config: Config?
    package let units: UnitSet?
    package let entries: [TreeEntry]
}

extension DeploySource {
    /// A target seen as the source of a rollback from it.
    package init(_ target: DeployTarget) {
        self.init(commit: target.commit, config: target.config, units: target.units, entries: target.entries)
    }
}

extension Reconciler {
    /// Loads the target commit's configuration and units and checks them against each other.
    /// Any problem is a configuration error naming the key, unit or path.
    package func loadTarget(_ commit: Commit) throws -> DeployTarget {
        let config = try config(at: commit.id)
        let (units, entries) = try units(at: commit.id, config: config)
        let graph = try config.validate(units: units)
        return DeployTarget(commit: commit, config: config, units: units, entries: entries, graph: graph)
    }

    /// Loads the source commit; a configuration it cannot read is nil, which maps "all, if in doubt".
    package func loadSource(_ commit: Commit) throws -> DeploySource {
        let entries = try repository.treeEntries(at: commit.id)
        let config = try? config(at: commit.id)
        var units: UnitSet?
        if let config {
            units = try? self.units(at: commit.id, config: config).0
        }
        return DeploySource(commit: commit, config: config, units: units, entries: entries)
    }

    /// What deploying `target` over `source` does: the contract's path mapping, then dependency waves, plus any
    /// dependency of a changed unit that is not running.
    package func plan(from source: DeploySource?, to target: DeployTarget) async throws -> Plan {
        let changes = try repository.diff(from: source?.commit.id, to: target.commit.id)
        // A source whose units cannot be read is treated like no source: everything is applied.
        let impact = PathMapper.impact(
            changes: changes,
            old: source?.units,
            new: target.units,
            oldConfig: source?.config,
            newConfig: target.config
        )
        let firstDeploy = source?.units == nil

        var steps: [PlanStep] = []
        if impact.system {
            steps.append(
                PlanStep(
                    unit: "system",
                    action: .switch,
                    wave: 0,
                    reason: firstDeploy ? .firstDeploy : .changed,
                    paths: impact.reasons["system"] ?? []
                )
            )
        }
        for id in impact.pruned.sorted() {
            steps.append(PlanStep(unit: id, action: .down, wave: 0, reason: .pruned, paths: impact.reasons[id] ?? []))
        }

        var reasons: [String: PlanStep.Reason] = [:]
        for id in impact.units { reasons[id] = firstDeploy ? .firstDeploy : .changed }
        for id in await stoppedDependencies(of: impact.units, in: target) { reasons[id] = .dependency }
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

    /// A plan that brings `ids` (and any dependency of theirs that is not running) up at the deployed commit.
    package func ensurePlan(_ ids: Set<String>, target: DeployTarget, at commit: Commit) async -> Plan {
        let selected = ids.union(await stoppedDependencies(of: ids, in: target))
        let steps = serviceSteps(selected, graph: target.graph) { id in
            (ids.contains(id) ? .requested : .dependency, [])
        }
        return Plan(from: CommitRef(commit), to: CommitRef(commit), steps: steps, ignoredPaths: [])
    }

    /// Dependencies of `ids`, direct or not, that are not running right now: the seed's `ensure-` semantics.
    func stoppedDependencies(of ids: Set<String>, in target: DeployTarget) async -> Set<String> {
        var stopped = Set<String>()
        for id in target.graph.closure(ids).subtracting(ids).sorted() {
            if let unit = target.units.units[id], await !isRunning(unit, config: target.config) {
                stopped.insert(id)
            }
        }
        return stopped
    }

    /// `up` steps for `ids` in dependency waves (numbered from 1), each with its reason and paths.
    func serviceSteps(
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
