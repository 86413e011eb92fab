import Foundation

/// A SOPS dotenv file as lines: the data items in file order and the `sops_*` metadata, exactly as SOPS's dotenv
/// store reads and writes them (split on newlines, empty lines skipped, `#` comments, `KEY=VALUE` split at the first
/// `=` with no trimming, `\n` in a value standing for a newline).
package struct SopsDotenv: Sendable, Equatable {
    package enum Item: Sendable, Equatable {
        /// `KEY=VALUE`: VALUE is `ENC[…]`, empty, or plaintext (an unencrypted key).
        case value(key: String, value: String)
        /// `#TEXT` (SOPS encrypts comments too; they carry no secret the reconciler uses and are not in the MAC).
        case comment(String)
    }

    package static let metadataPrefix = "sops_"

    package var items: [Item]
    /// Metadata by flattened name without the `sops_` prefix: `lastmodified`, `mac`, `age__list_0__map_enc` ….
    package var metadata: [String: String]

    package init(items: [Item], metadata: [String: String]) {
        self.items = items
        self.metadata = metadata
    }

    /// - Throws: ``SopsError`` (`.malformed`) naming the line number of a line without `=`.
    package static func parse(_ text: String) throws(SopsError) -> SopsDotenv {
        var items: [Item] = []
        var metadata: [String: String] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            if line.first == "#" {
                items.append(.comment(String(line.dropFirst())))
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw SopsError(.malformed, "line \(number + 1) is not KEY=VALUE")
            }
            let key = String(line[..<eq])
            let value = String(line[line.index(after: eq)...]).replacingOccurrences(of: "\\n", with: "\n")
            if key.hasPrefix(metadataPrefix) {
                metadata[String(key.dropFirst(metadataPrefix.count))] = value
            } else {
                items.append(.value(key: key, value: value))
            }
        }
        return SopsDotenv(items: items, metadata: metadata)
    }

    /// The file's text: the items in order, then the metadata sorted by name (as SOPS writes it).
    package func serialized() -> String {
        var lines: [String] = []
        for item in items {
            switch item {
            case .value(let key, let value): lines.append("\(key)=\(Self.escape(value))")
            case .comment(let text): lines.append("#\(text)")
            }
        }
        for name in metadata.keys.sorted() {
            lines.append("\(Self.metadataPrefix)\(name)=\(Self.escape(metadata[name]!))")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// The data keys in file order.
    package var keys: [String] {
        items.compactMap { if case .value(let key, _) = $0 { key } else { nil } }
    }

    /// The key types that hold the data key (`age`, `pgp`, `kms`, `gcp_kms`, `azure_kv`, `hc_vault` …), sorted.
    package var keyTypes: [String] {
        let known = ["age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"]
        var found = Set<String>()
        for name in metadata.keys {
            for type in known where name.hasPrefix("\(type)__list_") || name.contains("__map_\(type)__list_") {
                found.insert(type)
            }
        }
        return found.sorted()
    }

    /// The armored age files of the data key (`age__list_N__map_enc`, also inside key groups), in list order.
    package var ageEntries: [String] {
        metadata.keys.filter { name in
            name.hasSuffix("__map_enc") && (name.hasPrefix("age__list_") || name.contains("__map_age__list_"))
        }.sorted().compactMap { metadata[$0] }
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\n", with: "\\n")
    }
}
