import Git

extension Reconciler {
    /// `plan --from --to` from git objects alone: no state, no container engine, nothing run from the commits. The
    /// units brought up because a dependency is down cannot be known here: every dependency is taken as running,
    /// and the plan says so (``Plan/runningUnknown``). Each changed unit's ``UnitChanges`` are read.
    package func planFromGit(from: String, to: String) async throws -> Plan {
        let target = try loadTarget(commit(to, option: "--to "))
        let source = try loadSource(commit(from, option: "--from "))
        let plan = try await plan(from: source, to: target, askingDriver: false)
        return plan.withChanges(in: repository, old: source.units, new: target.units)
    }

    /// The names under `hosts` in the configuration of `revision`, sorted (empty without `hosts`).
    package func hostNames(at revision: String) throws -> [String] {
        try config(at: commit(revision, option: "--to ").id).hosts.keys.sorted()
    }

    /// `plan` with each changed and pruned unit's ``UnitChanges`` read from its two commits.
    package func withChanges(_ plan: Plan) -> Plan {
        func units(_ ref: CommitRef?) -> UnitSet? {
            guard let ref else { return nil }
            let id = ObjectID(hex: ref.commit)
            return (try? config(at: id)).flatMap { try? allUnits(at: id, config: $0) }
        }
        return plan.withChanges(in: repository, old: units(plan.from), new: units(plan.to) ?? UnitSet())
    }
}
