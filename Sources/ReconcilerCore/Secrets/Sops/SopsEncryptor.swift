import Crypto
import Foundation

/// Writes a SOPS dotenv file from a plain dotenv text, to age recipients: what `sops encrypt` writes for a `.env`
/// (readable by the SOPS tool itself).
package enum SopsEncryptor {
    /// The version written to `sops_version`: the oldest SOPS whose dotenv format this matches.
    package static let formatVersion = "3.9.0"

    /// - Parameters:
    ///   - plain: The `.env` text. Comments are left out (SOPS would encrypt them; the reconciler never needs them).
    ///   - recipients: Who may open it: the host's recipient and, usually, the operator's own.
    ///   - now: The time written to `sops_lastmodified` (the MAC's additional data).
    /// - Throws: ``SopsError`` (`.malformed`) naming the line of a line without `=` or a key starting with `sops_`.
    package static func seal(
        _ plain: String,
        to recipients: [AgeRecipient],
        now: Date = Date()
    ) throws(SopsError)
        -> String
    {
        var items: [SopsDotenv.Item] = []
        var macInput: [(plaintext: String, encrypted: Bool)] = []
        let dataKey = SymmetricKey(size: .bits256)
        let suffix = "_unencrypted"
        for (number, line) in plain.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty && line.first != "#" {
            guard let eq = line.firstIndex(of: "=") else {
                throw SopsError(.malformed, "line \(number + 1) is not KEY=VALUE")
            }
            let key = String(line[..<eq])
            guard !key.hasPrefix(SopsDotenv.metadataPrefix) else {
                throw SopsError(.malformed, "line \(number + 1): a key may not start with sops_ (\(key))")
            }
            let value = String(line[line.index(after: eq)...]).replacingOccurrences(of: "\\n", with: "\n")
            let encrypted = !key.hasSuffix(suffix)
            let stored =
                encrypted && !value.isEmpty
                ? SopsValueCipher.encrypt(
                    value,
                    dataKey: dataKey,
                    additionalData: SopsValueCipher.additionalData(forKey: key)
                )
                : value
            items.append(.value(key: key, value: stored))
            macInput.append((value, encrypted))
        }
        let lastModified = Self.timestamp(now)
        var metadata = [
            "lastmodified": lastModified,
            "mac": SopsValueCipher.encrypt(SopsMAC.compute(macInput), dataKey: dataKey, additionalData: lastModified),
            "unencrypted_suffix": suffix,
            "version": formatVersion,
        ]
        let keyBytes = dataKey.withUnsafeBytes { Data($0) }
        for (index, recipient) in recipients.enumerated() {
            metadata["age__list_\(index)__map_recipient"] = recipient.description
            metadata["age__list_\(index)__map_enc"] = AgeEncryptor.encrypt(keyBytes, to: [recipient])
        }
        return SopsDotenv(items: items, metadata: metadata).serialized()
    }

    /// RFC 3339 in UTC with seconds, as Go's `time.Format(time.RFC3339)` writes it.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: date)
    }
}
