import Foundation

/// What a plan says about a unit whose `.env.sops` changed: the keys whose values differ (added, removed or changed),
/// or nil when they cannot be told (no identity opens either side). Never a value.
package struct SealedChange: Sendable, Equatable, Codable, CustomStringConvertible {
    package let unit: String
    package let keys: [String]?

    package init(unit: String, keys: [String]?) {
        self.unit = unit
        self.keys = keys
    }

    package var description: String {
        guard let keys else { return "\(unit): secrets changed" }
        return keys.isEmpty
            ? "\(unit): secrets re-encrypted, no value changed"
            : "\(unit): secrets changed: \(keys.joined(separator: ", "))"
    }

    /// The keys whose values differ between two versions of a `.env.sops` (nil: a side missing is empty); nil when a
    /// side does not open with `identities`.
    package static func changedKeys(old: Data?, new: Data?, identities: [AgeIdentity]) -> [String]? {
        func open(_ data: Data?) -> [String: String]? {
            guard let data else { return [:] }
            guard
                let secrets = try? SopsDecryptor.decrypt(String(decoding: data, as: UTF8.self), identities: identities)
            else { return nil }
            return Dictionary(secrets.values.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        }
        guard let before = open(old), let after = open(new) else { return nil }
        return Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
    }
}
