import Crypto
import Foundation
import ReconcilerTesting

/// SOPS's published test data in Tests/Fixtures/sops (see its README): files nobody here wrote.
enum SopsFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/sops").path

    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
    }

    /// `age-vectors.txt`: `NAME=VALUE` lines and `NAME<<END` … `END` blocks.
    static func vectors() throws -> [String: String] {
        var result: [String: String] = [:]
        var lines = try text("age-vectors.txt").components(separatedBy: "\n")[...]
        while let line = lines.popFirst() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            if let range = line.range(of: "<<") {
                let end = String(line[range.upperBound...])
                var block: [String] = []
                while let next = lines.popFirst(), next != end { block.append(next) }
                result[String(line[..<range.lowerBound])] = block.joined(separator: "\n")
            } else if let eq = line.firstIndex(of: "=") {
                result[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
        }
        return result
    }

    /// The data key of `format.enc.env`, unwrapped by the real `gpg` from its PGP entry with SOPS's test key.
    static func pgpDataKey(of document: String) throws -> Data {
        let home = try TemporaryDirectory(prefix: "sops-gnupg")
        defer {
            _ = try? Command.run(["gpgconf", "--homedir", home.path, "--kill", "gpg-agent"])
            home.remove()
        }
        chmod(home.path, 0o700)
        try Command.check([
            "gpg", "--homedir", home.path, "--batch", "--import", "\(directory)/sops_functional_tests_key.asc",
        ])
        let entry = document.split(separator: "\n").first { $0.hasPrefix("sops_pgp__list_0__map_enc=") }!
        let armored = String(entry.dropFirst("sops_pgp__list_0__map_enc=".count)).replacingOccurrences(
            of: "\\n",
            with: "\n"
        )
        let out = home.appending("key.bin")
        try Command.check(
            ["gpg", "--homedir", home.path, "--batch", "--yes", "--output", out, "--decrypt"],
            input: armored
        )
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }

    static func hex(_ data: Data) -> String { data.map { String(format: "%02x", $0) }.joined() }
}
