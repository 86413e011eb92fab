import Crypto
import Foundation

/// One SOPS value: `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<type>]`, AES-256-GCM with the file's data
/// key, a 32-byte nonce and the value's path as additional data (for dotenv: the key and `:`).
package enum SopsValueCipher {
    package static let prefix = "ENC[AES256_GCM,"

    package static func isEncrypted(_ value: String) -> Bool { value.hasPrefix(prefix) }

    /// The additional data of a dotenv value: the raw key (no trimming) and a final `:`.
    package static func additionalData(forKey key: String) -> String { key + ":" }

    /// - Throws: ``SopsError``: `.malformed` when `value` is not `ENC[…]`, `.decryption` when its tag does not
    ///   verify with `dataKey` and `additionalData`. `name` (a key, or `sops_mac`) is what the message names.
    package static func decrypt(
        _ value: String,
        dataKey: SymmetricKey,
        additionalData: String,
        name: String
    ) throws(SopsError) -> String {
        guard value.hasPrefix(prefix), value.hasSuffix("]") else {
            throw SopsError(.malformed, "\(name) is not an ENC[AES256_GCM,…] value")
        }
        var fields: [String: String] = [:]
        for field in value.dropFirst(prefix.count).dropLast().split(separator: ",") {
            guard let colon = field.firstIndex(of: ":") else { continue }
            fields[String(field[..<colon])] = String(field[field.index(after: colon)...])
        }
        guard let data = fields["data"].flatMap({ Data(base64Encoded: $0) }),
            let iv = fields["iv"].flatMap({ Data(base64Encoded: $0) }), !iv.isEmpty,
            let tag = fields["tag"].flatMap({ Data(base64Encoded: $0) }), tag.count == 16,
            fields["type"] != nil
        else { throw SopsError(.malformed, "\(name) is not an ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] value") }
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: iv), ciphertext: data, tag: tag)
            let plaintext = try AES.GCM.open(box, using: dataKey, authenticating: Data(additionalData.utf8))
            return String(decoding: plaintext, as: UTF8.self)
        } catch {
            throw SopsError(
                .decryption,
                "\(name) does not decrypt with the file's data key (changed after it was encrypted, or moved)"
            )
        }
    }

    /// `plaintext` as `ENC[AES256_GCM,…,type:str]` under a fresh random 32-byte nonce.
    package static func encrypt(_ plaintext: String, dataKey: SymmetricKey, additionalData: String) -> String {
        var iv = [UInt8](repeating: 0, count: 32)
        for i in iv.indices { iv[i] = UInt8.random(in: 0...255) }
        // A 32-byte nonce and a 32-byte key are always accepted.
        let box = try! AES.GCM.seal(
            Data(plaintext.utf8),
            using: dataKey,
            nonce: AES.GCM.Nonce(data: iv),
            authenticating: Data(additionalData.utf8)
        )
        return "ENC[AES256_GCM,data:\(box.ciphertext.base64EncodedString()),iv:\(Data(iv).base64EncodedString()),"
            + "tag:\(box.tag.base64EncodedString()),type:str]"
    }
}
