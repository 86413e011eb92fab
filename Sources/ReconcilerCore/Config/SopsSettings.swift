/// `sops` in the host's configuration file (host-only): where the host's age identity lives, for `.env.sops` files.
/// `{"sops": {"ageKeyFile": "/var/lib/reconciler/age.key"}}`.
package struct SopsSettings: Sendable, Equatable {
    /// An `age-keygen` file (one or more `AGE-SECRET-KEY-1…` lines, `#` comments), mode 0600. Nil: the
    /// `SOPS_AGE_KEY_FILE` environment variable, when set.
    package var ageKeyFile: String?

    package init(ageKeyFile: String? = nil) {
        self.ageKeyFile = ageKeyFile
    }

    /// Decodes `sops`: `{ "ageKeyFile": "/absolute/path" }`, strictly.
    static func decode(_ value: JSONValue, source: String) throws(ConfigError) -> SopsSettings {
        func fault(_ code: ConfigError.Code, _ keyPath: String, _ message: String) -> ConfigError {
            ConfigError(code: code, source: source, keyPath: keyPath, message: message)
        }
        guard case .object(let object) = value else {
            throw fault(
                .wrongType,
                "sops",
                "expected an object such as {\"ageKeyFile\": \"/var/lib/reconciler/age.key\"}, found \(value.summary)"
            )
        }
        var settings = SopsSettings()
        for (key, field) in object.sorted(by: { $0.key < $1.key }) {
            guard key == "ageKeyFile" else {
                throw fault(.unknownKey, "sops.\(key)", "unknown key; known keys: ageKeyFile")
            }
            guard case .string(let path) = field, path.hasPrefix("/") else {
                throw fault(
                    .invalidValue,
                    "sops.ageKeyFile",
                    "expected the absolute path of an age-keygen file, found \(field.summary)"
                )
            }
            settings.ageKeyFile = path
        }
        return settings
    }
}
