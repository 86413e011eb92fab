/// The part of the repository one host deploys: its units and its system (`hosts.<name>` in reconciler.json).
/// Pure: the engine narrows what it discovers through this before it plans, so a change to another host's units
/// maps to nothing here.
package struct HostScope: Sendable, Equatable {
    package let name: String
    package let settings: HostSettings

    package init(name: String, settings: HostSettings) {
        self.name = name
        self.settings = settings
    }

    /// The scope of `requested` under `config`: nil when the config has no `hosts` (one host: everything); a
    /// configuration error when `requested` is not one of them.
    /// - Parameters:
    ///   - requested: `--host`, else `$RECONCILER_HOST`, else the machine's host name.
    package static func resolve(_ config: Config, requested: String?) throws(ConfigError) -> HostScope? {
        guard !config.hosts.isEmpty else { return nil }
        let names = config.hosts.keys.sorted()
        guard let requested, let settings = config.hosts[requested] else {
            throw ConfigError(
                code: .unknownHost,
                source: config.source,
                keyPath: "hosts",
                message: "this reconciler runs as host \"\(requested ?? "")\", which hosts does not list (it lists "
                    + names.map { "\"\($0)\"" }.joined(separator: ", ")
                    + "); start it with --host NAME (or RECONCILER_HOST) naming one of them"
            )
        }
        return HostScope(name: requested, settings: settings)
    }

    /// This host's units of `all`; a system only if this host switches one.
    package func units(_ all: UnitSet) -> UnitSet {
        UnitSet(
            units: all.units.values.filter { settings.owns($0.id) },
            hasSystem: all.hasSystem && settings.system != nil
        )
    }

    /// `config` as this host applies it: `system.switch` (and `system.check`) for this host's system, and the
    /// host's `engine` on each of its units (of `units`) that names none.
    package func config(_ config: Config, units: UnitSet = UnitSet()) throws(ConfigError) -> Config {
        var scoped = config
        switch settings.system {
        case nil:
            break
        case .command(let argv):
            scoped.system.switch = argv
        case .attribute(let attribute):
            guard let command = Self.withAttribute(attribute, config.system.switch) else {
                throw ConfigError(
                    code: .invalidValue,
                    source: config.source,
                    keyPath: "hosts.\(name).system",
                    message:
                        "a flake attribute needs a system.switch with \"--flake <ref>\" to put \"#\(attribute)\" on; "
                        + "give the whole switch command as an array instead"
                )
            }
            scoped.system.switch = command
            if let check = config.system.check { scoped.system.check = Self.withAttribute(attribute, check) ?? check }
        }
        if let engine = settings.engine {
            for id in units.units.keys where settings.owns(id) && config.units[id]?.engine == nil {
                scoped.units[id, default: UnitSettings()].engine = engine
            }
        }
        return scoped
    }

    /// `argv` with the argument after `--flake` (or of `--flake=`) pointing at `#attribute`:
    /// `nixos-rebuild switch --flake ./nixos` → `… --flake ./nixos#pi`; `./nixos#hl15` → `./nixos#pi`.
    package static func withAttribute(_ attribute: String, _ argv: [String]) -> [String]? {
        func replaced(_ reference: String) -> String {
            let flake = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return "\(flake)#\(attribute)"
        }
        var result = argv
        if let index = argv.firstIndex(of: "--flake"), index + 1 < argv.count {
            result[index + 1] = replaced(argv[index + 1])
            return result
        }
        if let index = argv.firstIndex(where: { $0.hasPrefix("--flake=") }) {
            result[index] = "--flake=" + replaced(String(argv[index].dropFirst("--flake=".count)))
            return result
        }
        return nil
    }

    /// Units this host has in `new` but did not have in `old` (moved here by reconciler.json) are brought up even
    /// though none of their files changed.
    package func assigned(_ impact: Impact, old: UnitSet?, new: UnitSet) -> Impact {
        guard let old else { return impact }
        var impact = impact
        for id in new.units.keys where !old.contains(id) && !impact.units.contains(id) {
            impact.units.insert(id)
            impact.reasons[id, default: []].append(Config.fileName)
        }
        return impact
    }
}

extension Config {
    /// Checks `hosts` against every discovered unit: each unit is assigned to exactly one host, a plain id names a
    /// unit, and no `dependsOn` crosses hosts (it could not be ensured locally). Nothing to check without `hosts`.
    package func validateHosts(units discovered: UnitSet) throws(ConfigError) {
        guard !hosts.isEmpty else { return }
        func fault(_ code: ConfigError.Code, _ keyPath: String, _ message: String) -> ConfigError {
            ConfigError(code: code, source: source, keyPath: keyPath, message: message)
        }
        let known = Set(discovered.units.keys)
        var owner: [String: String] = [:]
        for (name, host) in hosts.sorted(by: { $0.key < $1.key }) {
            for (index, pattern) in host.units.enumerated()
            where !pattern.contains("*") && !pattern.contains("?") && !known.contains(pattern) {
                throw fault(
                    .unknownUnit,
                    "hosts.\(name).units[\(index)]",
                    DependencyGraph.unknownUnitMessage(pattern, known: known, rootLabel: services.root)
                )
            }
            for id in known.sorted() where host.owns(id) {
                if let first = owner[id] {
                    throw fault(
                        .hostAssignment,
                        "hosts.\(name).units",
                        "unit \"\(id)\" is assigned to two hosts, \"\(first)\" and \"\(name)\"; a unit runs on one host: "
                            + "remove it from one of them (Swarm spreads one unit over several machines)"
                    )
                }
                owner[id] = name
            }
        }
        for id in known.sorted() where owner[id] == nil {
            throw fault(
                .hostAssignment,
                "hosts",
                "unit \"\(id)\" is assigned to no host; add it (or a glob matching it) to the units of one of "
                    + hosts.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            )
        }
        for (id, settings) in units.sorted(by: { $0.key < $1.key }) {
            for dependency in settings.dependsOn {
                guard let mine = owner[id], let theirs = owner[dependency], mine != theirs else { continue }
                throw fault(
                    .hostAssignment,
                    "units.\(id).dependsOn",
                    "unit \"\(id)\" (host \"\(mine)\") depends on \"\(dependency)\" (host \"\(theirs)\"); a dependency "
                        + "across hosts cannot be ensured locally: put both on one host, or drop the dependency"
                )
            }
        }
    }
}
