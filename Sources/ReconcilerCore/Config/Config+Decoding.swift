import Foundation

extension Config {
    /// Decodes reconciler.json strictly: an unknown key at any level, a value of the wrong type or an
    /// unacceptable value is an error naming the key path. Absent keys keep their defaults.
    /// - Parameters:
    ///   - data: The file's bytes.
    ///   - source: How to name the file in errors (`reconciler.json`, or the `--config` path).
    package static func decode(_ data: Data, source: String) throws(ConfigError) -> Config {
        try decode(parse(data, source: source), source: source)
    }

    /// The file's JSON, checked to be an object without duplicate keys.
    static func parse(_ data: Data, source: String) throws(ConfigError) -> JSONValue {
        let root = try JSONValue.parse(data, source: source)
        if let duplicate = JSONDuplicateKeys.first(in: data) {
            throw ConfigError(
                code: .duplicateKey,
                source: source,
                keyPath: duplicate,
                message: "appears twice in the same object; keep one (JSON parsers disagree on which one wins)"
            )
        }
        return root
    }

    /// Decodes an already parsed file (or several merged).
    static func decode(_ root: JSONValue, source: String) throws(ConfigError) -> Config {
        let reader = ConfigReader(source: source)
        guard case .object = root else {
            throw ConfigError(
                code: .invalidJSON,
                source: source,
                message: "expected a JSON object ({ … }) at the top level, found \(root.summary)"
            )
        }
        let object = try reader.object(
            root,
            at: "",
            known: [
                "remote", "branch", "pollInterval", "fetchTimeout", "stateDir", "system", "services", "units",
                "groups", "webhook", "notify", "notifyFetchFailureAfter", "auth", "verify", "allowRewrite",
                "allowInsecureTransport",
                "networks", "hosts", "sops", "forge",
            ]
        )
        var config = Config()
        config.source = source
        if let value = object["remote"] { config.remote = try reader.word(value, at: "remote") }
        if let value = object["branch"] { config.branch = try reader.word(value, at: "branch") }
        if let value = object["pollInterval"] { config.pollInterval = try reader.duration(value, at: "pollInterval") }
        if let value = object["fetchTimeout"] { config.fetchTimeout = try reader.duration(value, at: "fetchTimeout") }
        if let value = object["stateDir"] { config.stateDir = try reader.nonEmptyString(value, at: "stateDir") }
        if let value = object["system"] { config.system = try reader.system(value) }
        if let value = object["services"] { config.services = try reader.services(value) }
        if let value = object["units"] { config.units = try reader.units(value) }
        if let value = object["groups"] { config.groups = try reader.groups(value) }
        if let value = object["webhook"] { config.webhook = try reader.webhook(value) }
        if let value = object["notify"] { config.notify = try reader.notify(value) }
        if let value = object["notifyFetchFailureAfter"] {
            config.notifyFetchFailureAfter = try reader.duration(value, at: "notifyFetchFailureAfter")
        }
        if let value = object["auth"] { config.auth = try reader.auth(value) }
        if let value = object["verify"] { config.verify = try reader.verify(value) }
        if let value = object["allowRewrite"] { config.allowRewrite = try reader.bool(value, at: "allowRewrite") }
        if let value = object["allowInsecureTransport"] {
            config.allowInsecureTransport = try reader.bool(value, at: "allowInsecureTransport")
        }
        if let value = object["networks"] { config.networks = try NetworkSettings.decode(value, source: source) }
        if let value = object["hosts"] { config.hosts = try HostSettings.decode(value, source: source) }
        if let value = object["sops"] { config.sops = try SopsSettings.decode(value, source: source) }
        if let value = object["forge"], value != .null {
            config.forge = try ForgeSettings.decode(value, source: source)
        }
        try reader.checkRootsApart(config)
        return config
    }
}

/// Reads typed values out of a JSON tree, naming the key path of every fault.
struct ConfigReader {
    let source: String

    func error(_ code: ConfigError.Code, _ keyPath: String?, _ message: String) -> ConfigError {
        ConfigError(code: code, source: source, keyPath: keyPath, message: message)
    }

    func join(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : "\(parent).\(key)" }

    // MARK: Sections

    func services(_ value: JSONValue) throws(ConfigError) -> ServicesConfig {
        let object = try object(value, at: "services", known: ["root", "compose", "healthTimeout", "parallelism"])
        var services = ServicesConfig()
        if let value = object["root"] { services.root = try root(value, at: "services.root") }
        if let value = object["compose"] { services.compose = try command(value, at: "services.compose") }
        if let value = object["healthTimeout"] {
            services.healthTimeout = try duration(value, at: "services.healthTimeout")
        }
        if let value = object["parallelism"] {
            let parallelism = try integer(value, at: "services.parallelism")
            guard parallelism >= 1 else {
                throw error(.invalidValue, "services.parallelism", "must be at least 1, found \(parallelism)")
            }
            services.parallelism = parallelism
        }
        return services
    }

    func units(_ value: JSONValue) throws(ConfigError) -> [String: UnitSettings] {
        let object = try object(value, at: "units", known: nil)
        var units: [String: UnitSettings] = [:]
        for (id, value) in object.sorted(by: { $0.key < $1.key }) {
            let keyPath = "units.\(id)"
            if let problem = UnitID.problem(with: id) { throw error(.invalidValue, keyPath, problem) }
            let settingsObject = try self.object(value, at: keyPath, known: ["dependsOn", "healthTimeout", "engine"])
            var settings = UnitSettings()
            if let value = settingsObject["dependsOn"] {
                settings.dependsOn = try unitIDs(value, at: "\(keyPath).dependsOn")
            }
            if let value = settingsObject["healthTimeout"], value != .null {
                settings.healthTimeout = try duration(value, at: "\(keyPath).healthTimeout")
            }
            if let value = settingsObject["engine"], value != .null {
                settings.engine = try ServiceEngine.decode(value, at: "\(keyPath).engine", source: source)
            }
            units[id] = settings
        }
        return units
    }

    func groups(_ value: JSONValue) throws(ConfigError) -> [String: [String]] {
        let object = try object(value, at: "groups", known: nil)
        var groups: [String: [String]] = [:]
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            let keyPath = "groups.\(name)"
            if name.isEmpty { throw error(.invalidValue, "groups", "a group name cannot be empty") }
            if name.containsControlCharacter || name.contains(where: \.isWhitespace) {
                throw error(.invalidValue, keyPath, "a group name cannot contain whitespace or control characters")
            }
            groups[name] = try unitIDs(value, at: keyPath)
        }
        return groups
    }

    func webhook(_ value: JSONValue) throws(ConfigError) -> WebhookConfig? {
        if value == .null { return nil }
        let object = try object(value, at: "webhook", known: ["listen", "secretFile"])
        var webhook = WebhookConfig()
        if let value = object["listen"] {
            webhook.listen = try string(value, at: "webhook.listen")
            try checkListen(webhook.listen, at: "webhook.listen")
        }
        if let value = object["secretFile"], value != .null {
            webhook.secretFile = try nonEmptyString(value, at: "webhook.secretFile")
        }
        return webhook
    }

    func notify(_ value: JSONValue) throws(ConfigError) -> [NotifyTarget] {
        guard case .array(let elements) = value else { throw wrongType("notify", "an array of objects", value) }
        var targets: [NotifyTarget] = []
        for (index, element) in elements.enumerated() {
            let keyPath = "notify[\(index)]"
            let object = try object(
                element,
                at: keyPath,
                known: ["url", "urlFile", "format", "kind", "events", "command", "secretFile", "tokenFile"]
            )
            var kind = NotifyTarget.Kind.webhook
            if let value = object["format"] {
                let name = try string(value, at: "\(keyPath).format")
                guard let format = NotifyTarget.Format(rawValue: name) else {
                    let accepted = NotifyTarget.Format.allCases.map(\.rawValue).joined(separator: ", ")
                    throw error(.invalidValue, "\(keyPath).format", "unknown format \"\(name)\"; accepted: \(accepted)")
                }
                kind = NotifyTarget(url: "", format: format).kind
            }
            if let value = object["kind"] {
                let name = try string(value, at: "\(keyPath).kind")
                guard let named = NotifyTarget.Kind(rawValue: name) else {
                    let accepted = NotifyTarget.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    throw error(.invalidValue, "\(keyPath).kind", "unknown kind \"\(name)\"; accepted: \(accepted)")
                }
                kind = named
            }
            var target = NotifyTarget(kind: kind)
            if kind == .command {
                guard let value = object["command"] else {
                    throw error(
                        .missingKey,
                        "\(keyPath).command",
                        "missing; a command notifier needs an argument vector"
                    )
                }
                target.command = try command(value, at: "\(keyPath).command")
            } else {
                try notifyDestination(object, at: keyPath, into: &target)
            }
            if let value = object["format"], case .string(let name) = value,
                let format = NotifyTarget.Format(rawValue: name)
            {
                target.format = format
            }
            if let value = object["events"] {
                guard case .array(let names) = value else {
                    throw wrongType("\(keyPath).events", "an array of event names", value)
                }
                for (i, name) in names.enumerated() {
                    let event = try string(name, at: "\(keyPath).events[\(i)]")
                    guard NotifyTarget.eventNames.contains(event) else {
                        throw error(
                            .invalidValue,
                            "\(keyPath).events[\(i)]",
                            "unknown event \"\(event)\"; accepted: \(NotifyTarget.eventNames.joined(separator: ", "))"
                        )
                    }
                    target.events.append(event)
                }
            }
            if let value = object["secretFile"], value != .null {
                target.secretFile = try nonEmptyString(value, at: "\(keyPath).secretFile")
            }
            if let value = object["tokenFile"], value != .null {
                target.tokenFile = try nonEmptyString(value, at: "\(keyPath).tokenFile")
            }
            targets.append(target)
        }
        return targets
    }

    func auth(_ value: JSONValue) throws(ConfigError) -> AuthConfig {
        let object = try object(value, at: "auth", known: ["sshKey", "knownHosts", "tokenFile", "tokenUser"])
        var auth = AuthConfig()
        func optional(_ key: String) throws(ConfigError) -> String? {
            guard let value = object[key], value != .null else { return nil }
            return try nonEmptyString(value, at: "auth.\(key)")
        }
        auth.sshKey = try optional("sshKey")
        auth.knownHosts = try optional("knownHosts")
        auth.tokenFile = try optional("tokenFile")
        auth.tokenUser = try optional("tokenUser")
        return auth
    }

    func verify(_ value: JSONValue) throws(ConfigError) -> VerifyConfig {
        let object = try object(value, at: "verify", known: ["mode", "allowedSigners", "gpgKeyring"])
        var verify = VerifyConfig()
        if let value = object["mode"] {
            let name = try string(value, at: "verify.mode")
            guard let mode = VerifyConfig.Mode(rawValue: name) else {
                let accepted = VerifyConfig.Mode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw error(.invalidValue, "verify.mode", "unknown mode \"\(name)\"; accepted: \(accepted)")
            }
            verify.mode = mode
        }
        for key in ["allowedSigners", "gpgKeyring"] {
            guard let value = object[key], value != .null else { continue }
            let path = try nonEmptyString(value, at: "verify.\(key)")
            guard path.hasPrefix("/") else {
                throw error(.invalidValue, "verify.\(key)", "\"\(path)\" must be an absolute path")
            }
            if key == "allowedSigners" { verify.allowedSigners = path } else { verify.gpgKeyring = path }
        }
        if verify.mode == .head, verify.allowedSigners == nil, verify.gpgKeyring == nil {
            throw error(
                .missingKey,
                "verify",
                "mode \"head\" needs allowedSigners (SSH signatures), gpgKeyring (GPG signatures) or both"
            )
        }
        return verify
    }

    func bool(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> Bool {
        guard case .bool(let bool) = value else { throw wrongType(keyPath, "true or false", value) }
        return bool
    }

    /// `system.root` and `services.root` may not be the same directory or one inside the other: a path
    /// there would be both a system change and a unit's file.
    func checkRootsApart(_ config: Config) throws(ConfigError) {
        let system = config.system.root
        let services = config.services.root
        if system == services || system.hasPrefix(services + "/") || services.hasPrefix(system + "/") {
            throw error(
                .invalidValue,
                "services.root",
                "\"\(services)\" overlaps system.root \"\(system)\"; "
                    + "keep the services and the system in separate directories"
            )
        }
    }

    // MARK: Values

    /// An object whose keys must all be in `known` (any key when `known` is nil).
    func object(_ value: JSONValue, at keyPath: String, known: [String]?) throws(ConfigError) -> [String: JSONValue] {
        guard case .object(let object) = value else {
            throw wrongType(keyPath.isEmpty ? nil : keyPath, "an object", value)
        }
        if let known, let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw error(
                .unknownKey,
                join(keyPath, unknown),
                "unknown key; known keys: \(known.joined(separator: ", "))"
            )
        }
        return object
    }

    func string(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> String {
        guard case .string(let string) = value else { throw wrongType(keyPath, "a string", value) }
        return string
    }

    func nonEmptyString(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> String {
        let string = try string(value, at: keyPath)
        guard !string.isEmpty else { throw error(.invalidValue, keyPath, "cannot be empty") }
        return string
    }

    /// A non-empty string without whitespace or control characters (a remote, a branch).
    func word(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> String {
        let string = try nonEmptyString(value, at: keyPath)
        guard !string.containsControlCharacter, !string.contains(where: \.isWhitespace) else {
            throw error(.invalidValue, keyPath, "cannot contain whitespace or control characters")
        }
        return string
    }

    func integer(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> Int {
        guard case .integer(let integer) = value else { throw wrongType(keyPath, "an integer", value) }
        return integer
    }

    /// A positive duration written as a string (`90s`).
    func duration(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> Duration {
        guard case .string(let text) = value else {
            if case .integer(let number) = value {
                throw error(
                    .wrongType,
                    keyPath,
                    "expected a duration string such as \"\(number)s\", found the number \(number); use "
                        + ConfigDuration.acceptedForms
                )
            }
            throw wrongType(keyPath, "a duration string (\(ConfigDuration.acceptedForms))", value)
        }
        guard let duration = ConfigDuration.parse(text) else {
            throw error(.invalidValue, keyPath, "invalid duration \"\(text)\"; use \(ConfigDuration.acceptedForms)")
        }
        guard duration > .zero else {
            throw error(.invalidValue, keyPath, "must be longer than zero, found \"\(text)\"")
        }
        guard duration <= ConfigDuration.maximum else {
            throw error(
                .invalidValue,
                keyPath,
                "\"\(text)\" is longer than the most allowed, \(ConfigDuration.format(ConfigDuration.maximum))"
            )
        }
        return duration
    }

    /// An argument vector: a non-empty array of strings whose first element (the program) is non-empty.
    func command(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> [String] {
        guard case .array(let elements) = value else {
            throw wrongType(keyPath, "an array of strings (an argument vector, never a shell string)", value)
        }
        var arguments: [String] = []
        for (index, element) in elements.enumerated() {
            arguments.append(try string(element, at: "\(keyPath)[\(index)]"))
        }
        guard let program = arguments.first else {
            throw error(.invalidValue, keyPath, "cannot be empty; give the program and its arguments")
        }
        guard !program.isEmpty else { throw error(.invalidValue, "\(keyPath)[0]", "the program cannot be empty") }
        return arguments
    }

    /// A directory relative to the repository root, normalised (`./services/` → `services`).
    func root(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> String {
        let text = try string(value, at: keyPath)
        if text.hasPrefix("/") {
            throw error(.invalidValue, keyPath, "\"\(text)\" must be relative to the repository root, not absolute")
        }
        if text.containsControlCharacter {
            throw error(.invalidValue, keyPath, "cannot contain control characters")
        }
        let components = text.split(separator: "/").filter { $0 != "." }
        if components.contains("..") {
            throw error(
                .invalidValue,
                keyPath,
                "\"\(text)\" cannot contain \"..\"; name a directory inside the repository"
            )
        }
        guard !components.isEmpty else {
            throw error(.invalidValue, keyPath, "\"\(text)\" must name a directory inside the repository, not its root")
        }
        return components.joined(separator: "/")
    }

    /// An array of well-formed unit ids (duplicates dropped, order kept).
    func unitIDs(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> [String] {
        guard case .array(let elements) = value else { throw wrongType(keyPath, "an array of unit ids", value) }
        var ids: [String] = []
        for (index, element) in elements.enumerated() {
            let id = try string(element, at: "\(keyPath)[\(index)]")
            if let problem = UnitID.problem(with: id) {
                throw error(.invalidValue, "\(keyPath)[\(index)]", "\"\(id)\": \(problem)")
            }
            if !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    func checkListen(_ listen: String, at keyPath: String) throws(ConfigError) {
        let form = "expected host:port (\"127.0.0.1:9876\", \"[::1]:9876\", \"0.0.0.0:9876\"), found \"\(listen)\""
        guard let colon = listen.lastIndex(of: ":") else { throw error(.invalidValue, keyPath, form) }
        let host = listen[..<colon]
        guard !host.isEmpty, !host.contains(where: \.isWhitespace),
            let port = Int(listen[listen.index(after: colon)...]), (1...65535).contains(port)
        else { throw error(.invalidValue, keyPath, form) }
    }

    func wrongType(_ keyPath: String?, _ expected: String, _ value: JSONValue) -> ConfigError {
        error(.wrongType, keyPath, "expected \(expected), found \(value.summary)")
    }
}
