/// A Docker network the homelab's units share: an entry of `networks` in reconciler.json. Compose files name it as
/// `external: true`; the reconciler creates it when it is missing, before the first unit is brought up.
package struct NetworkSettings: Sendable, Equatable {
    /// `docker network create --driver`.
    package var driver = "bridge"

    package init(driver: String = "bridge") {
        self.driver = driver
    }

    /// Decodes `networks`: an object of network name → `{ "driver": "bridge" }` (every key optional), strictly.
    /// - Parameters:
    ///   - value: The `networks` value.
    ///   - source: How to name the file in errors.
    static func decode(_ value: JSONValue, source: String) throws(ConfigError) -> [String: NetworkSettings] {
        func fault(_ code: ConfigError.Code, _ keyPath: String, _ message: String) -> ConfigError {
            ConfigError(code: code, source: source, keyPath: keyPath, message: message)
        }
        guard case .object(let object) = value else {
            throw fault(.wrongType, "networks", "expected an object of network name → settings, found \(value.summary)")
        }
        var networks: [String: NetworkSettings] = [:]
        for (name, settingsValue) in object.sorted(by: { $0.key < $1.key }) {
            let keyPath = "networks.\(name)"
            guard isValidName(name) else {
                throw fault(
                    .invalidValue,
                    keyPath,
                    "not a Docker network name: use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit"
                )
            }
            guard case .object(let settingsObject) = settingsValue else {
                throw fault(
                    .wrongType,
                    keyPath,
                    "expected an object ({} for the defaults), found \(settingsValue.summary)"
                )
            }
            var settings = NetworkSettings()
            for (key, field) in settingsObject.sorted(by: { $0.key < $1.key }) {
                guard key == "driver" else {
                    throw fault(.unknownKey, "\(keyPath).\(key)", "unknown key; known keys: driver")
                }
                guard case .string(let driver) = field, isValidName(driver) else {
                    throw fault(
                        .invalidValue,
                        "\(keyPath).driver",
                        "expected a driver name such as \"bridge\", found \(field.summary)"
                    )
                }
                settings.driver = driver
            }
            networks[name] = settings
        }
        return networks
    }

    /// Docker's rule for network names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIIAlphanumeric else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "_" || $0 == "." || $0 == "-" }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
