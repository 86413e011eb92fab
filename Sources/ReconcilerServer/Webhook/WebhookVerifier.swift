import Crypto
import Foundation

/// The forges the daemon takes pushes from, one route each: `POST /hooks/<provider>`.
package enum WebhookProvider: String, Sendable, CaseIterable {
    case github, gitea, gitlab, generic
}

/// Checks that a webhook came from someone who knows the secret. Pure; comparisons are constant-time.
package struct WebhookVerifier: Sendable {
    private let key: SymmetricKey
    private let secret: [UInt8]

    package init(secret: [UInt8]) {
        self.secret = secret
        self.key = SymmetricKey(data: secret)
    }

    /// Verifies a delivery: the HMAC-SHA256 of the raw body (GitHub, Gitea/Forgejo/Gogs, generic) or the shared token
    /// (GitLab). `header` looks a header up case-insensitively.
    package func verify(_ provider: WebhookProvider, body: [UInt8], header: (String) -> String?) -> Bool {
        switch provider {
        case .github:
            return verifyHMAC(hexWithPrefix: header("X-Hub-Signature-256"), body: body)
        case .gitea:
            // Gitea, Forgejo and Gogs send the bare hex digest under their own names; newer Gitea also sends GitHub's.
            for name in ["X-Gitea-Signature", "X-Forgejo-Signature", "X-Gogs-Signature"] {
                if let value = header(name) { return verifyHMAC(hex: value, body: body) }
            }
            return verifyHMAC(hexWithPrefix: header("X-Hub-Signature-256"), body: body)
        case .gitlab:
            guard let token = header("X-Gitlab-Token") else { return false }
            return Self.constantTimeEqual(Array(token.utf8), secret)
        case .generic:
            return verifyHMAC(hexWithPrefix: header("X-Reconciler-Signature"), body: body)
        }
    }

    private func verifyHMAC(hexWithPrefix value: String?, body: [UInt8]) -> Bool {
        guard let value, value.hasPrefix("sha256=") else { return false }
        return verifyHMAC(hex: String(value.dropFirst("sha256=".count)), body: body)
    }

    private func verifyHMAC(hex: String, body: [UInt8]) -> Bool {
        guard let mac = Self.bytes(hex: hex.trimmingCharacters(in: .whitespaces)), mac.count == 32 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: key)
    }

    /// `sha256=<hex>` of `body`, as a sender computes it (tests, docs, notifications).
    package func signature(_ body: [UInt8]) -> String {
        "sha256=" + Self.hex(Array(HMAC<SHA256>.authenticationCode(for: body, using: key)))
    }

    /// Equal length and bytes, in time that depends on the length only.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        // Compare digests so neither the time nor an early length mismatch says how much of the token was right.
        let key = SymmetricKey(size: .bits256)
        let da = HMAC<SHA256>.authenticationCode(for: a, using: key)
        let db = HMAC<SHA256>.authenticationCode(for: b, using: key)
        return da == db
    }

    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    package static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
