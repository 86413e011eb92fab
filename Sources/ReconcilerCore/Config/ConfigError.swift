/// A reconciler.json that cannot govern a deploy: which file, which key, what is wrong.
///
/// Reads as `reconciler.json: units.sonarr/shows.dependsOn: unknown unit "prowlar"; did you mean "prowlarr"?`.
package struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        package init(_ rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// The file is not JSON, or not a JSON object.
        package static let invalidJSON = Code("invalid-json")
        /// A key the schema does not have.
        package static let unknownKey = Code("unknown-key")
        /// A required key is absent.
        package static let missingKey = Code("missing-key")
        /// A value of the wrong JSON type.
        package static let wrongType = Code("wrong-type")
        /// A value of the right type that is not acceptable (bad duration, empty command, `..` in a root).
        package static let invalidValue = Code("invalid-value")
        /// A unit id that names no discovered unit.
        package static let unknownUnit = Code("unknown-unit")
        /// A unit that depends on itself.
        package static let selfDependency = Code("self-dependency")
        /// Units that depend on each other in a circle.
        package static let dependencyCycle = Code("dependency-cycle")
        /// The same key twice in one object.
        package static let duplicateKey = Code("duplicate-key")
        /// A host-only key (`stateDir`, `auth`, `verify`, `allowRewrite`, `allowInsecureTransport`) in a
        /// repository's reconciler.json.
        package static let hostOnlyKey = Code("host-only-key")
        /// An `http://` or `git://` remote without `allowInsecureTransport`, or a token over plain http.
        package static let insecureTransport = Code("insecure-transport")
        /// `--host` names no entry of `hosts`.
        package static let unknownHost = Code("unknown-host")
        /// A unit assigned to no host or to two, or a `dependsOn` across hosts.
        package static let hostAssignment = Code("host-assignment")
    }

    package var code: Code
    /// The file the config came from, as the operator knows it (`reconciler.json`, or the `--config` path).
    package var source: String
    /// The key at fault, dotted, with array indices: `services.healthTimeout`, `notify[0].url`. Nil when the
    /// fault is the file as a whole.
    package var keyPath: String?
    /// What is wrong, and what is accepted.
    package var message: String

    package init(code: Code, source: String, keyPath: String? = nil, message: String) {
        self.code = code
        self.source = source
        self.keyPath = keyPath
        self.message = message
    }

    package var description: String {
        if let keyPath { "\(source): \(keyPath): \(message)" } else { "\(source): \(message)" }
    }
}
