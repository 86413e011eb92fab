import Foundation

/// The keys of a dotenv file (`KEY=value`, `export KEY=value`, comments and blank lines skipped).
/// Values are never kept: this type exists to compare `.env.example` with `.env` without reading secrets into memory longer than a line.
package enum EnvFile {
    package static func keys(in text: String) -> Set<String> {
        var keys = Set<String>()
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") {
                line = String(line.dropFirst("export ".count)).trimmingCharacters(in: .whitespaces)
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            if !key.isEmpty { keys.insert(key) }
        }
        return keys
    }

    package static func keys(atPath path: String) -> Set<String>? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return keys(in: String(decoding: data, as: UTF8.self))
    }

    /// Keys that `.env.example` in `directory` names and `.env` there lacks; nil when there is no `.env.example`.
    /// A missing `.env` lacks every key.
    /// - Parameter also: Keys present elsewhere (the decrypted `.env.sops`).
    package static func missingKeys(
        exampleDirectory: String,
        envDirectory: String,
        also: Set<String> = []
    ) -> [String]? {
        guard let example = keys(atPath: "\(exampleDirectory)/.env.example") else { return nil }
        let present = keys(atPath: "\(envDirectory)/.env") ?? []
        return example.subtracting(present).subtracting(also).sorted()
    }
}
