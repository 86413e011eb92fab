extension Config {
    /// Checks this config against the units discovered in the tree it governs, and builds their dependency
    /// graph.
    ///
    /// Every key of `units`, every group member and every `dependsOn` target must be a discovered unit id; no
    /// unit may depend on itself; there is no cycle; group names are non-empty.
    /// - Parameters:
    ///   - units: The units discovered with this config's roots.
    /// - Throws: `ConfigError` naming the key, the unknown id and the ids it may have meant.
    package func validate(units discovered: UnitSet) throws(ConfigError) -> DependencyGraph {
        let known = Set(discovered.units.keys)
        func unknown(_ id: String, at keyPath: String) -> ConfigError {
            ConfigError(
                code: .unknownUnit,
                source: source,
                keyPath: keyPath,
                message: DependencyGraph.unknownUnitMessage(id, known: known, rootLabel: services.root)
            )
        }
        for (id, settings) in units.sorted(by: { $0.key < $1.key }) {
            guard known.contains(id) else { throw unknown(id, at: "units.\(id)") }
            for dependency in settings.dependsOn where !known.contains(dependency) && dependency != id {
                throw unknown(dependency, at: "units.\(id).dependsOn")
            }
        }
        for (name, members) in groups.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty else {
                throw ConfigError(
                    code: .invalidValue,
                    source: source,
                    keyPath: "groups",
                    message: "a group name cannot be empty"
                )
            }
            for (index, member) in members.enumerated() where !known.contains(member) {
                throw unknown(member, at: "groups.\(name)[\(index)]")
            }
        }
        return try DependencyGraph(units: known, dependsOn: units.mapValues(\.dependsOn), source: source)
    }
}
