/// One machine of the homelab: an entry of `hosts` in reconciler.json. Each host runs its own reconciler
/// (`--host NAME`) on a clone of the same repository; it deploys only the units listed here and its own system.
package struct HostSettings: Sendable, Equatable {
    /// How this host switches its system.
    package enum System: Sendable, Equatable {
        /// A flake attribute: `system.switch` with the `--flake` argument's `#attr` replaced by `#<attr>`.
        case attribute(String)
        /// The whole switch command, as given.
        case command([String])
    }

    /// nil: this host does not switch a system (it only runs its units).
    package var system: System? = nil
    /// Unit ids or globs (`*` = any run of characters, `?` = one): `dns`, `media/*`.
    package var units: [String] = []
    /// The engine of this host's units, unless `units.<id>.engine` says otherwise.
    package var engine: ServiceEngine? = nil

    package init(system: System? = nil, units: [String] = [], engine: ServiceEngine? = nil) {
        self.system = system
        self.units = units
        self.engine = engine
    }

    /// Whether `id` is one of this host's units.
    package func owns(_ id: String) -> Bool {
        units.contains { HostSettings.glob($0, matches: id) }
    }

    /// `*` matches any run of characters (slashes included), `?` one character; everything else itself.
    package static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern)
        let t = Array(text)
        var (pi, ti) = (0, 0)
        var star: Int?
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if let star {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Decodes `hosts`: an object of host name → `{ "system": "<flake attr>" | [argv], "units": [ids or globs] }`.
    static func decode(_ value: JSONValue, source: String) throws(ConfigError) -> [String: HostSettings] {
        func fault(_ code: ConfigError.Code, _ keyPath: String, _ message: String) -> ConfigError {
            ConfigError(code: code, source: source, keyPath: keyPath, message: message)
        }
        guard case .object(let object) = value else {
            throw fault(.wrongType, "hosts", "expected an object of host name → settings, found \(value.summary)")
        }
        var hosts: [String: HostSettings] = [:]
        for (name, settingsValue) in object.sorted(by: { $0.key < $1.key }) {
            let keyPath = "hosts.\(name)"
            guard NetworkSettings.isValidName(name) else {
                throw fault(
                    .invalidValue,
                    keyPath,
                    "not a host name: use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit"
                )
            }
            guard case .object(let fields) = settingsValue else {
                throw fault(
                    .wrongType,
                    keyPath,
                    "expected an object with \"units\" (and \"system\"), found \(settingsValue.summary)"
                )
            }
            var settings = HostSettings()
            for (key, field) in fields.sorted(by: { $0.key < $1.key }) {
                let fieldPath = "\(keyPath).\(key)"
                switch key {
                case "system":
                    switch field {
                    case .null: settings.system = nil
                    case .string(let attribute):
                        guard !attribute.isEmpty, !attribute.contains("#"), !attribute.containsControlCharacter else {
                            throw fault(
                                .invalidValue,
                                fieldPath,
                                "expected a flake attribute such as \"pi\", found \(field.summary)"
                            )
                        }
                        settings.system = .attribute(attribute)
                    case .array(let elements):
                        var argv: [String] = []
                        for element in elements {
                            guard case .string(let argument) = element else {
                                throw fault(.wrongType, fieldPath, "expected strings, found \(element.summary)")
                            }
                            argv.append(argument)
                        }
                        guard let program = argv.first, !program.isEmpty else {
                            throw fault(.invalidValue, fieldPath, "cannot be empty; give the program and its arguments")
                        }
                        settings.system = .command(argv)
                    default:
                        throw fault(
                            .wrongType,
                            fieldPath,
                            "expected a flake attribute (a string) or a command (an array), found \(field.summary)"
                        )
                    }
                case "units":
                    guard case .array(let elements) = field else {
                        throw fault(
                            .wrongType,
                            fieldPath,
                            "expected an array of unit ids or globs, found \(field.summary)"
                        )
                    }
                    for (index, element) in elements.enumerated() {
                        guard case .string(let pattern) = element, !pattern.isEmpty else {
                            throw fault(
                                .invalidValue,
                                "\(fieldPath)[\(index)]",
                                "expected a unit id or glob, found \(element.summary)"
                            )
                        }
                        if !settings.units.contains(pattern) { settings.units.append(pattern) }
                    }
                case "engine":
                    settings.engine = try ServiceEngine.decode(field, at: fieldPath, source: source)
                default:
                    throw fault(.unknownKey, fieldPath, "unknown key; known keys: engine, system, units")
                }
            }
            hosts[name] = settings
        }
        return hosts
    }
}

/// What runs a unit's Compose files: `engine` in `units.<id>` or `hosts.<name>`.
package enum ServiceEngine: String, Sendable, Equatable, CaseIterable {
    /// `docker compose up` on this host (the default).
    case compose
    /// `docker stack deploy` on a Swarm manager.
    case swarm

    static func decode(_ value: JSONValue, at keyPath: String, source: String) throws(ConfigError) -> ServiceEngine {
        guard case .string(let name) = value, let engine = ServiceEngine(rawValue: name) else {
            throw ConfigError(
                code: .invalidValue,
                source: source,
                keyPath: keyPath,
                message: "expected \"compose\" or \"swarm\", found \(value.summary)"
            )
        }
        return engine
    }
}
