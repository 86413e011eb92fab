import Foundation

extension Reconciler {
    /// For each unit `plan` brings up because its `.env.sops` changed, the keys whose values changed (both sides
    /// decrypted with the host's identity), or "secrets changed" without one.
    func sealedChanges(_ plan: Plan, source: DeploySource?, target: DeployTarget) -> [SealedChange]? {
        let identities = (try? SopsEnvironment(settings: target.config.sops, scratchRoot: "").identities()) ?? []
        let changes = plan.steps.compactMap { step -> SealedChange? in
            guard step.action == .up, let unit = target.units.units[step.unit] else { return nil }
            let path = "\(unit.directory)/\(SopsEnvironment.fileName)"
            guard step.paths.contains(path) else { return nil }
            let new = try? repository.contents(of: path, at: target.commit.id)
            let old = source.flatMap { try? repository.contents(of: path, at: $0.commit.id) }
            return SealedChange(
                unit: step.unit,
                keys: SealedChange.changedKeys(old: old, new: new, identities: identities)
            )
        }
        return changes.isEmpty ? nil : changes
    }
}
