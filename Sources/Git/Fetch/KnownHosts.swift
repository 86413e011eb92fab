import Crypto
import Foundation

/// An OpenSSH `known_hosts` file, checked the way `ssh` checks it for one host and port.
///
/// Understood: plain host lists (`host1,host2`), `[host]:port` for ports other than 22, the `*`/`?` wildcards and
/// `!` negation, hashed entries (`|1|salt|hash`), comments and `@revoked` lines. `@cert-authority` lines are
/// skipped: host certificates are not verified, so such a host needs its plain key in the file.
struct KnownHosts: Sendable {
    struct Entry: Sendable {
        enum Hosts: Sendable {
            case patterns([String])
            case hashed(salt: [UInt8], hash: [UInt8])
        }
        let hosts: Hosts
        let keyType: String
        let key: [UInt8]
        let revoked: Bool
    }

    enum Verdict: Equatable, Sendable {
        case match
        /// The host has an entry of the key's type with another key: the key changed, or someone is in between.
        case changed
        /// The host has entries, but only of other key types.
        case otherTypes([String])
        case unknown
        case revoked
    }

    let entries: [Entry]

    init(contents: String) {
        var entries: [Entry] = []
        for rawLine in contents.split(whereSeparator: \.isNewline) {
            var fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            var revoked = false
            if first.hasPrefix("@") {
                guard first == "@revoked" else { continue }  // @cert-authority: not supported
                revoked = true
                fields.removeFirst()
            }
            guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else { continue }
            let hosts: Entry.Hosts
            if fields[0].hasPrefix("|1|") {
                let parts = fields[0].split(separator: "|", omittingEmptySubsequences: true)
                guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])),
                    let hash = Data(base64Encoded: String(parts[2]))
                else { continue }
                hosts = .hashed(salt: [UInt8](salt), hash: [UInt8](hash))
            } else {
                hosts = .patterns(fields[0].split(separator: ",").map { $0.lowercased() })
            }
            entries.append(Entry(hosts: hosts, keyType: fields[1], key: [UInt8](key), revoked: revoked))
        }
        self.entries = entries
    }

    /// Reads `path`; nil when the file does not exist.
    static func load(_ path: String) throws -> KnownHosts? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return KnownHosts(contents: String(decoding: data, as: UTF8.self))
    }

    /// The name `ssh` looks up: `host` on port 22, `[host]:port` otherwise.
    static func lookupName(host: String, port: Int) -> String {
        port == 22 ? host.lowercased() : "[\(host.lowercased())]:\(port)"
    }

    /// Checks `key` (the raw key blob, as base64-encoded in the file) offered by `host` on `port`.
    func verify(host: String, port: Int, key: [UInt8]) -> Verdict {
        let name = Self.lookupName(host: host, port: port)
        let keyType = Self.keyType(ofBlob: key)
        let matching = entries.filter { $0.matches(name) }
        if matching.contains(where: { $0.revoked && $0.key == key }) { return .revoked }
        let plain = matching.filter { !$0.revoked }
        if plain.contains(where: { $0.key == key }) { return .match }
        if plain.contains(where: { $0.keyType == keyType }) { return .changed }
        if !plain.isEmpty { return .otherTypes(Array(Set(plain.map(\.keyType))).sorted()) }
        return .unknown
    }

    /// The type name at the start of an ssh key blob (`ssh-ed25519`, `ssh-rsa`, …).
    static func keyType(ofBlob blob: [UInt8]) -> String {
        guard blob.count >= 4 else { return "unknown" }
        let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard length > 0, length <= blob.count - 4 else { return "unknown" }
        return String(decoding: blob[4..<(4 + length)], as: UTF8.self)
    }
}

extension KnownHosts.Entry {
    func matches(_ name: String) -> Bool {
        switch hosts {
        case .hashed(let salt, let hash):
            // HMAC-SHA1 only matches OpenSSH's hashed host names; nothing here relies on SHA-1's collision resistance.
            let code = HMAC<Insecure.SHA1>.authenticationCode(for: Array(name.utf8), using: SymmetricKey(data: salt))
            return Array(code) == hash
        case .patterns(let patterns):
            var matched = false
            for pattern in patterns {
                if pattern.hasPrefix("!") {
                    if glob(String(pattern.dropFirst()), name) { return false }
                } else if glob(pattern, name) {
                    matched = true
                }
            }
            return matched
        }
    }
}

/// OpenSSH's host pattern match: `*` any run, `?` one character.
private func glob(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern.utf8)
    let t = Array(text.utf8)
    var pi = 0
    var ti = 0
    var star = -1
    var mark = 0
    while ti < t.count {
        if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
            pi += 1
            ti += 1
        } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
            star = pi
            mark = ti
            pi += 1
        } else if star >= 0 {
            pi = star + 1
            mark += 1
            ti = mark
        } else {
            return false
        }
    }
    while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
    return pi == p.count
}
