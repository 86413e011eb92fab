import Crypto
import Foundation

/// An age X25519 recipient (`age1…`): the public key a data key is encrypted to.
package struct AgeRecipient: Sendable, Equatable, CustomStringConvertible {
    package let publicKey: Curve25519.KeyAgreement.PublicKey

    /// - Throws: ``SopsError`` (`.age`) when `text` is not an `age1…` X25519 recipient.
    package init(_ text: String) throws(SopsError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let (hrp, data) = Bech32.decode(trimmed), hrp == "age", data.count == 32,
            let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: data)
        else {
            throw SopsError(.age, "\"\(trimmed)\" is not an age X25519 recipient (age1…, as age-keygen -y prints)")
        }
        publicKey = key
    }

    init(publicKey: Curve25519.KeyAgreement.PublicKey) {
        self.publicKey = publicKey
    }

    /// The `age1…` spelling.
    package var description: String { Bech32.encode(hrp: "age", data: publicKey.rawRepresentation) }

    package static func == (a: AgeRecipient, b: AgeRecipient) -> Bool {
        a.publicKey.rawRepresentation == b.publicKey.rawRepresentation
    }
}

/// An age X25519 identity (`AGE-SECRET-KEY-1…`): the host's private key that opens a `.env.sops` data key.
/// Its description never shows the key.
package struct AgeIdentity: Sendable, CustomStringConvertible {
    let privateKey: Curve25519.KeyAgreement.PrivateKey

    /// - Throws: ``SopsError`` (`.age`) when `text` is not an `AGE-SECRET-KEY-1…` identity (the message does not
    ///   repeat it).
    package init(_ text: String) throws(SopsError) {
        guard let (hrp, data) = Bech32.decode(text.trimmingCharacters(in: .whitespaces)),
            hrp == "age-secret-key-", data.count == 32,
            let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: data)
        else { throw SopsError(.age, "not an age X25519 identity (AGE-SECRET-KEY-1…, as age-keygen writes)") }
        privateKey = key
    }

    /// A new random identity (tests, and an operator without age-keygen).
    package static func generate() -> AgeIdentity { AgeIdentity(privateKey: .init()) }

    private init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        self.privateKey = privateKey
    }

    /// The recipient that encrypts to this identity (`age-keygen -y`).
    package var recipient: AgeRecipient { AgeRecipient(publicKey: privateKey.publicKey) }

    /// The `AGE-SECRET-KEY-1…` spelling: written to a key file, never printed.
    package var secretKeyText: String {
        Bech32.encode(hrp: "age-secret-key-", data: privateKey.rawRepresentation).uppercased()
    }

    package var description: String { "age identity of \(recipient)" }

    /// Every identity of an `age-keygen` file: one `AGE-SECRET-KEY-1…` per line, `#` comments and blank lines
    /// allowed, several identities allowed.
    /// - Throws: ``SopsError`` (`.age`) naming `source` and the line number of a line that is none of these.
    package static func parseKeyFile(_ text: String, source: String) throws(SopsError) -> [AgeIdentity] {
        var identities: [AgeIdentity] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                identities.append(try AgeIdentity(line))
            } catch {
                throw SopsError(.age, "\(source) line \(number + 1): \(error.message)")
            }
        }
        guard !identities.isEmpty else { throw SopsError(.noIdentity, "\(source) holds no age identity") }
        return identities
    }
}
