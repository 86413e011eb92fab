import Crypto
import Foundation

/// The decrypted values of a `.env.sops` file, in file order. Never printed: its description names the keys only.
package struct SopsSecrets: Sendable, CustomStringConvertible {
    package let values: [(key: String, value: String)]

    /// The plaintext as a dotenv file for Compose's `--env-file`: `KEY=VALUE` lines exactly as `sops decrypt`
    /// prints them (a newline in a value written as `\n`), so Compose reads the values the operator sealed.
    package var envFileText: String {
        values.map { "\($0.key)=\($0.value.replacingOccurrences(of: "\n", with: "\\n"))\n" }.joined()
    }

    package var keys: [String] { values.map(\.key) }

    package var description: String { "\(values.count) secrets (\(keys.joined(separator: ", ")))" }
}

/// Opens a SOPS dotenv file: the data key from an age entry, every value with AES-256-GCM, and `sops_mac` checked
/// before any value is returned.
package enum SopsDecryptor {
    /// - Throws: ``SopsError``; its message names keys, never a value.
    package static func decrypt(_ text: String, identities: [AgeIdentity]) throws(SopsError) -> SopsSecrets {
        let document = try SopsDotenv.parse(text)
        return try decrypt(document, dataKey: dataKey(of: document, identities: identities))
    }

    /// The 32-byte data key, from the first age entry one of `identities` opens.
    /// - Throws: ``SopsError``: `.unsupportedKeys` naming the key types when the file has no age entry,
    ///   `.noIdentity` naming the recipients when none opens.
    package static func dataKey(of document: SopsDotenv, identities: [AgeIdentity]) throws(SopsError) -> SymmetricKey {
        guard document.metadata["mac"] != nil, document.metadata["lastmodified"] != nil else {
            throw SopsError(.malformed, "not a SOPS file: sops_mac or sops_lastmodified is missing")
        }
        let entries = document.ageEntries
        guard !entries.isEmpty else {
            let types = document.keyTypes
            throw SopsError(
                .unsupportedKeys,
                "its data key is encrypted for \(types.isEmpty ? "no key" : types.joined(separator: ", ")) only; "
                    + "the reconciler opens age keys: add the host's age recipient with `sops updatekeys` or "
                    + "`reconciler secrets seal`"
            )
        }
        guard !identities.isEmpty else {
            throw SopsError(.noIdentity, "no age identity configured (sops.ageKeyFile or SOPS_AGE_KEY_FILE)")
        }
        for entry in entries {
            guard let key = try? AgeDecryptor.decrypt(armored: entry, identities: identities) else { continue }
            guard key.count == 32 else { throw SopsError(.malformed, "the data key is not 32 bytes") }
            return SymmetricKey(data: key)
        }
        let recipients = document.metadata.filter { $0.key.hasSuffix("__map_recipient") }.map(\.value).sorted()
        throw SopsError(
            .noIdentity,
            "no configured age identity opens it (it is encrypted to \(recipients.joined(separator: ", ")))"
        )
    }

    /// Every value decrypted with `dataKey`, after the MAC over them matched `sops_mac`.
    package static func decrypt(_ document: SopsDotenv, dataKey: SymmetricKey) throws(SopsError) -> SopsSecrets {
        let rule = try EncryptionRule(document.metadata)
        var values: [(key: String, value: String)] = []
        var macInput: [(plaintext: String, encrypted: Bool)] = []
        for case .value(let key, let stored) in document.items {
            let encrypted = rule.encrypts(key) ?? SopsValueCipher.isEncrypted(stored)
            var plaintext = stored
            if encrypted, !stored.isEmpty {
                plaintext = try SopsValueCipher.decrypt(
                    stored,
                    dataKey: dataKey,
                    additionalData: SopsValueCipher.additionalData(forKey: key),
                    name: "the value of \(key)"
                )
            }
            values.append((key, plaintext))
            macInput.append((plaintext, encrypted))
        }
        let onlyEncrypted = document.metadata["mac_only_encrypted"].map { $0.lowercased() == "true" } ?? false
        let stored = try SopsValueCipher.decrypt(
            document.metadata["mac"] ?? "",
            dataKey: dataKey,
            additionalData: document.metadata["lastmodified"] ?? "",
            name: "sops_mac"
        )
        guard stored == SopsMAC.compute(macInput, onlyEncrypted: onlyEncrypted) else {
            throw SopsError(.macMismatch, "MAC mismatch: values were changed, added, removed or reordered")
        }
        return SopsSecrets(values: values)
    }
}

/// Which keys SOPS encrypted: `unencrypted_suffix` (default `_unencrypted`), `encrypted_suffix`,
/// `unencrypted_regex` or `encrypted_regex`. Comment-based rules leave it to the value (`ENC[…]` or not).
struct EncryptionRule {
    private var unencryptedSuffix: String?
    private var encryptedSuffix: String?
    private var unencryptedRegex: NSRegularExpression?
    private var encryptedRegex: NSRegularExpression?
    private var byValue = false

    init(_ metadata: [String: String]) throws(SopsError) {
        let rules = [
            "unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex",
            "unencrypted_comment_regex", "encrypted_comment_regex",
        ].filter { metadata[$0] != nil }
        guard rules.count <= 1 else {
            throw SopsError(
                .malformed,
                "more than one encryption rule in the metadata: \(rules.joined(separator: ", "))"
            )
        }
        func regex(_ name: String) throws(SopsError) -> NSRegularExpression? {
            guard let pattern = metadata[name] else { return nil }
            guard let compiled = try? NSRegularExpression(pattern: pattern) else {
                throw SopsError(.malformed, "sops_\(name) is not a valid regular expression")
            }
            return compiled
        }
        switch rules.first {
        case nil: unencryptedSuffix = "_unencrypted"
        case "unencrypted_suffix": unencryptedSuffix = metadata["unencrypted_suffix"]
        case "encrypted_suffix": encryptedSuffix = metadata["encrypted_suffix"]
        case "unencrypted_regex": unencryptedRegex = try regex("unencrypted_regex")
        case "encrypted_regex": encryptedRegex = try regex("encrypted_regex")
        default: byValue = true
        }
    }

    /// Whether SOPS encrypted `key`'s value; nil when only the value can say.
    func encrypts(_ key: String) -> Bool? {
        if byValue { return nil }
        if let unencryptedSuffix { return !key.hasSuffix(unencryptedSuffix) }
        if let encryptedSuffix { return key.hasSuffix(encryptedSuffix) }
        let range = NSRange(key.startIndex..., in: key)
        if let unencryptedRegex { return unencryptedRegex.firstMatch(in: key, range: range) == nil }
        if let encryptedRegex { return encryptedRegex.firstMatch(in: key, range: range) != nil }
        return true
    }
}
