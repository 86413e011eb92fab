extension ConfigReader {
    /// `system`: where the system lives and how it is built, tested, confirmed and made the boot default.
    func system(_ value: JSONValue) throws(ConfigError) -> SystemConfig {
        let object = try object(
            value,
            at: "system",
            known: ["root", "switch", "check", "build", "profile", "confirm", "confirmTimeout"]
        )
        var system = SystemConfig()
        if let value = object["root"] { system.root = try root(value, at: "system.root") }
        if let value = object["switch"] { system.switch = try command(value, at: "system.switch") }
        if let value = object["check"], value != .null { system.check = try command(value, at: "system.check") }
        if let value = object["build"], value != .null { system.build = try command(value, at: "system.build") }
        if let value = object["profile"] { system.profile = try absolutePath(value, at: "system.profile") }
        if let value = object["confirm"] { system.confirm = try confirmChecks(value) }
        if let value = object["confirmTimeout"] {
            system.confirmTimeout = try duration(value, at: "system.confirmTimeout")
        }
        // A repository that names its switch command and nothing of the phases keeps the one-command step (whose
        // remote and Docker checks `confirmTimeout` bounds too).
        let phaseKeys = ["build", "profile", "confirm"]
        system.phased = object["switch"] == nil || phaseKeys.contains { object[$0] != nil }
        return system
    }

    /// `system.profile`: an absolute path (`/nix/var/nix/profiles/system`).
    private func absolutePath(_ value: JSONValue, at keyPath: String) throws(ConfigError) -> String {
        let text = try string(value, at: keyPath)
        guard text.hasPrefix("/"), text.count > 1, !text.hasSuffix("/"), !text.containsControlCharacter else {
            throw error(
                .invalidValue,
                keyPath,
                "expected the absolute path of a profile such as \"/nix/var/nix/profiles/system\", found \"\(text)\""
            )
        }
        return text
    }

    /// `system.confirm`: argument vectors, or `{"command": [...], "timeout": "30s"}` for a check with its own limit.
    private func confirmChecks(_ value: JSONValue) throws(ConfigError) -> [ConfirmCheck] {
        guard case .array(let elements) = value else {
            throw wrongType("system.confirm", "an array of checks (argument vectors)", value)
        }
        var checks: [ConfirmCheck] = []
        for (index, element) in elements.enumerated() {
            let keyPath = "system.confirm[\(index)]"
            if case .array = element {
                checks.append(ConfirmCheck(command: try command(element, at: keyPath)))
                continue
            }
            let fields = try object(element, at: keyPath, known: ["command", "timeout"])
            guard let commandValue = fields["command"] else {
                throw error(
                    .invalidValue,
                    keyPath,
                    "needs \"command\" (an argument vector), e.g. {\"command\": [\"systemctl\", \"is-system-running\", \"--wait\"], \"timeout\": \"60s\"}"
                )
            }
            var check = ConfirmCheck(command: try command(commandValue, at: "\(keyPath).command"))
            if let timeout = fields["timeout"] { check.timeout = try duration(timeout, at: "\(keyPath).timeout") }
            checks.append(check)
        }
        return checks
    }
}
