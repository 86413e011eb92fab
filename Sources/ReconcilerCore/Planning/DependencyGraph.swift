/// Which unit needs which: the `dependsOn` edges of reconciler.json over the discovered units, checked
/// to be acyclic.
package struct DependencyGraph: Sendable, Equatable {
    /// Every unit id of the graph.
    package let units: Set<String>
    /// Direct dependencies: `unit → units it dependsOn`. Every unit has an entry.
    private let direct: [String: Set<String>]

    /// A graph over `units`.
    /// - Parameters:
    ///   - units: Every unit id.
    ///   - dependsOn: Each unit's direct dependencies; units without an entry have none.
    ///   - source: How to name the config in errors.
    /// - Throws: `ConfigError` for a unit or dependency not in `units`, a unit depending on itself, or a cycle
    ///   (the message spells the cycle: `dependency cycle: a → b → c → a`).
    package init(
        units: Set<String>,
        dependsOn: [String: [String]],
        source: String = Config.fileName
    ) throws(ConfigError) {
        var direct = Dictionary(uniqueKeysWithValues: units.map { ($0, Set<String>()) })
        for (unit, dependencies) in dependsOn.sorted(by: { $0.key < $1.key }) {
            guard units.contains(unit) else {
                throw ConfigError(
                    code: .unknownUnit,
                    source: source,
                    keyPath: "units.\(unit)",
                    message: Self.unknownUnitMessage(unit, known: units)
                )
            }
            for dependency in dependencies {
                if dependency == unit {
                    throw ConfigError(
                        code: .selfDependency,
                        source: source,
                        keyPath: "units.\(unit).dependsOn",
                        message: "\"\(unit)\" depends on itself; remove it from its own dependsOn"
                    )
                }
                guard units.contains(dependency) else {
                    throw ConfigError(
                        code: .unknownUnit,
                        source: source,
                        keyPath: "units.\(unit).dependsOn",
                        message: Self.unknownUnitMessage(dependency, known: units)
                    )
                }
                direct[unit]!.insert(dependency)
            }
        }
        if let cycle = Self.firstCycle(in: direct) {
            throw ConfigError(
                code: .dependencyCycle,
                source: source,
                keyPath: "units.\(cycle[0]).dependsOn",
                message: "dependency cycle: \(cycle.joined(separator: " → ")); remove one of these dependsOn entries"
            )
        }
        self.units = units
        self.direct = direct
    }

    /// The units `id` depends on directly (empty for an unknown id).
    package func directDependencies(of id: String) -> Set<String> { direct[id] ?? [] }

    /// Every unit `id` depends on, directly or through others, without `id` itself.
    package func dependencies(of id: String) -> Set<String> {
        var seen: Set<String> = []
        var stack = Array(direct[id] ?? [])
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack.append(contentsOf: direct[next] ?? []) }
        }
        return seen
    }

    /// `ids` and everything they depend on, transitively: what must be up for `ids` to be up.
    package func closure(_ ids: Set<String>) -> Set<String> {
        ids.reduce(into: ids) { result, id in result.formUnion(dependencies(of: id)) }
    }

    /// Every unit that depends on `id`, directly or through others, without `id` itself.
    package func dependents(of id: String) -> Set<String> {
        var seen: Set<String> = []
        var frontier: Set<String> = [id]
        while !frontier.isEmpty {
            let next = Set(direct.filter { !$0.value.isDisjoint(with: frontier) }.keys).subtracting(seen)
            seen.formUnion(next)
            frontier = next
        }
        seen.remove(id)
        return seen
    }

    /// `ids` in dependency order, as waves whose units can be applied in parallel: a unit's wave is one after
    /// the latest wave of any unit of `ids` it depends on (directly or through units outside `ids`). Units
    /// outside `ids` are not added; each wave is sorted.
    /// - Parameters:
    ///   - ids: The units to order (usually a `closure`).
    package func waves(_ ids: Set<String>) -> [[String]] {
        var level: [String: Int] = [:]
        func levelOf(_ id: String) -> Int {
            if let known = level[id] { return known }
            let computed = dependencies(of: id).intersection(ids).map { levelOf($0) + 1 }.max() ?? 0
            level[id] = computed
            return computed
        }
        var waves: [[String]] = []
        for id in ids.sorted() {
            let wave = levelOf(id)
            while waves.count <= wave { waves.append([]) }
            waves[wave].append(id)
        }
        return waves.filter { !$0.isEmpty }
    }

    /// The first cycle met by a depth-first search in sorted order, rotated to start at its smallest id and
    /// closed (`[a, b, c, a]`), or nil.
    private static func firstCycle(in direct: [String: Set<String>]) -> [String]? {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var path: [String] = []

        func visit(_ node: String) -> [String]? {
            marks[node] = .visiting
            path.append(node)
            for next in (direct[node] ?? []).sorted() {
                switch marks[next] {
                case .visiting?:
                    var cycle = Array(path[path.lastIndex(of: next)!...])
                    let start = cycle.indices.min { cycle[$0] < cycle[$1] }!
                    cycle = Array(cycle[start...] + cycle[..<start])
                    return cycle + [cycle[0]]
                case .done?:
                    continue
                case nil:
                    if let cycle = visit(next) { return cycle }
                }
            }
            path.removeLast()
            marks[node] = .done
            return nil
        }

        // A unit that depends on nothing is on no cycle: the search starts only from units with dependsOn (the same
        // first cycle, without sorting and visiting thousands of units that have none).
        for node in direct.compactMap({ $0.value.isEmpty ? nil : $0.key }).sorted() where marks[node] == nil {
            if let cycle = visit(node) { return cycle }
        }
        return nil
    }

    static func unknownUnitMessage(_ id: String, known: some Collection<String>, rootLabel: String? = nil) -> String {
        var message = "unknown unit \"\(id)\""
        let matches = UnitID.closeMatches(for: id, in: known)
        if !matches.isEmpty {
            message += " (did you mean \(matches.map { "\"\($0)\"" }.joined(separator: " or "))?)"
        }
        let label = rootLabel.map { "units under \($0)/" } ?? "known units"
        message += "; \(label): \(UnitID.list(known.sorted()))"
        return message
    }
}
