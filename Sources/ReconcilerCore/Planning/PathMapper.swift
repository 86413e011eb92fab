import Git

/// Maps the paths changed between D and T to the units they touch (the contract's "From changed paths to
/// units" table, with `services/` = `services.root` and `nixos/` = `system.root`).
package enum PathMapper {
    /// What the change from D to T touches.
    ///
    /// Each path is mapped against D's units and roots for the side that existed in D (deleted, modified,
    /// a rename's source) and T's for the side in T (added, modified, a rename's target). A unit of D that is
    /// no unit of T is pruned, unless a unit of T keeps its Compose project name (a move or a case-only
    /// rename: T's `up --remove-orphans` takes the project over without downtime).
    /// - Parameters:
    ///   - changes: The diff from D to T.
    ///   - old: D's units; nil for a first deploy, which applies the system (if T has one) and every unit.
    ///   - new: T's units.
    ///   - oldConfig: D's config; nil when it was absent or unparseable.
    ///   - newConfig: T's config.
    package static func impact(
        changes: [Change],
        old: UnitSet?,
        new: UnitSet,
        oldConfig: Config?,
        newConfig: Config
    ) -> Impact {
        var builder = ImpactBuilder()
        let newSide = Side(units: new, config: newConfig)
        let oldSide = Side(units: old ?? UnitSet(), config: oldConfig ?? newConfig)

        for change in changes {
            let sides: [(path: String, side: Side)] =
                switch change {
                case .added(let path): [(path, newSide)]
                case .deleted(let path): [(path, oldSide)]
                case .modified(let path): [(path, oldSide), (path, newSide)]
                case .renamed(let from, let to): [(from, oldSide), (to, newSide)]
                }
            for (path, side) in sides {
                if path == Config.fileName {
                    builder.configChanged(old: oldConfig, new: newConfig, newUnits: new)
                    builder.note(path)
                } else {
                    builder.map(path, on: side, newUnits: new)
                }
            }
        }

        if let old {
            let newProjects = Set(new.units.values.map(\.projectName))
            for unit in old.units.values where !new.contains(unit.id) && !newProjects.contains(unit.projectName) {
                builder.impact.pruned.insert(unit.id)
            }
        } else {
            builder.impact.system = builder.impact.system || new.hasSystem
            builder.impact.units.formUnion(new.units.keys)
        }
        return builder.finish(newUnits: new)
    }
}

/// One tree's units and the roots they were discovered under.
private struct Side {
    let units: UnitSet
    let servicesPrefix: String
    let systemRoot: String

    init(units: UnitSet, config: Config) {
        self.units = units
        self.servicesPrefix = config.services.root + "/"
        self.systemRoot = config.system.root
    }
}

private struct ImpactBuilder {
    var impact = Impact()
    /// Every changed path seen, and the ones that mapped to something.
    private var seen: Set<String> = []
    private var mapped: Set<String> = []

    mutating func note(_ path: String) {
        seen.insert(path)
        mapped.insert(path)
    }

    mutating func affect(_ target: String, by path: String) {
        if target == UnitID.system { impact.system = true } else { impact.units.insert(target) }
        impact.reasons[target, default: []].append(path)
        mapped.insert(path)
    }

    /// Maps one side of one changed path.
    mutating func map(_ path: String, on side: Side, newUnits: UnitSet) {
        seen.insert(path)
        if path == side.systemRoot || path.hasPrefix(side.systemRoot + "/") {
            // A host that switches no system (`hosts.<name>` without `system`) has no system step to affect.
            if newUnits.hasSystem { affect(UnitID.system, by: path) }
            // nixos/modules/services/<svc>/** also touches every unit of <svc> in T (its user, dirs, groups).
            let modules = side.systemRoot + "/modules/services/"
            if path.hasPrefix(modules) {
                let rest = path.dropFirst(modules.count).split(separator: "/", omittingEmptySubsequences: false)
                if rest.count >= 2 {
                    for id in newUnits.instances(of: String(rest[0])) { affect(id, by: path) }
                }
            }
        }
        guard path.hasPrefix(side.servicesPrefix) else { return }
        let relative = path.dropFirst(side.servicesPrefix.count)
        let components = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // A file directly in services/ belongs to no unit.
        guard components.count >= 2 else { return }
        let service = components[0]
        if components.count >= 3, side.units.contains("\(service)/\(components[1])") {
            affect("\(service)/\(components[1])", by: path)
        } else if side.units.contains(service) {
            // A file of a single-instance unit, at any depth (services/app/tests/e2e/compose.yml → app).
            affect(service, by: path)
        } else {
            // A file shared by the instances of a service that is no unit itself.
            for id in side.units.instances(of: service) { affect(id, by: path) }
        }
    }

    /// reconciler.json changed: the units whose settings changed; all, if in doubt.
    mutating func configChanged(old: Config?, new: Config, newUnits: UnitSet) {
        let path = Config.fileName
        guard let old else {
            if newUnits.hasSystem { affect(UnitID.system, by: path) }
            for id in newUnits.units.keys { affect(id, by: path) }
            return
        }
        if newUnits.hasSystem && (old.system.switch != new.system.switch || old.system.root != new.system.root) {
            affect(UnitID.system, by: path)
        }
        if old.services.compose != new.services.compose || old.services.root != new.services.root {
            for id in newUnits.units.keys { affect(id, by: path) }
            return
        }
        for id in Set(old.units.keys).union(new.units.keys) where newUnits.contains(id) {
            if old.settings(for: id) != new.settings(for: id) { affect(id, by: path) }
        }
    }

    func finish(newUnits: UnitSet) -> Impact {
        var impact = impact
        // An affected unit that is not in T was affected through its old side: it is pruned, not applied.
        for id in impact.units where !newUnits.contains(id) {
            impact.units.remove(id)
        }
        let kept = impact.units.union(impact.pruned).union(impact.system ? [UnitID.system] : [])
        impact.reasons = impact.reasons.filter { kept.contains($0.key) }.mapValues { Array(Set($0)).sorted() }
        impact.ignoredPaths = seen.subtracting(mapped).sorted()
        return impact
    }
}
