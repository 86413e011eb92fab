import Crypto
import Foundation

/// Opens an age v1 file (armored or binary) with X25519 identities, as `age -d -i KEYFILE` does.
package enum AgeDecryptor {
    /// The plaintext of `armored`, opened by the first of `identities` that one of its X25519 stanzas is for.
    /// - Throws: ``SopsError``: `.age` when the file is malformed or its header MAC or payload does not verify,
    ///   `.noIdentity` when no identity matches any stanza.
    package static func decrypt(armored text: String, identities: [AgeIdentity]) throws(SopsError) -> Data {
        try decrypt(file: AgeFormat.dearmor(text), identities: identities)
    }

    package static func decrypt(file: Data, identities: [AgeIdentity]) throws(SopsError) -> Data {
        let header = try AgeFormat.parseHeader(file)
        guard let fileKey = unwrapFileKey(header.stanzas, identities: identities) else {
            throw SopsError(.noIdentity, "no identity matched any of the recipients")
        }
        let headerKey = AgeFormat.headerKey(fileKey: fileKey)
        guard HMAC<SHA256>.isValidAuthenticationCode(header.mac, authenticating: header.macked, using: headerKey) else {
            throw SopsError(.age, "the age header's MAC does not verify (the file was changed)")
        }
        return try openPayload(header.payload, fileKey: fileKey)
    }

    /// The 16-byte file key from the first X25519 stanza one of `identities` opens.
    private static func unwrapFileKey(_ stanzas: [AgeFormat.Stanza], identities: [AgeIdentity]) -> SymmetricKey? {
        for stanza in stanzas where stanza.type == "X25519" {
            guard stanza.arguments.count == 1, stanza.body.count == 32,
                let share = AgeFormat.rawBase64(Substring(stanza.arguments[0])), share.count == 32,
                let sharePoint = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: share)
            else { continue }
            for identity in identities {
                guard let shared = try? identity.privateKey.sharedSecretFromKeyAgreement(with: sharePoint),
                    let wrapKey = AgeFormat.x25519WrapKey(
                        shared,
                        share: share,
                        recipient: identity.recipient.publicKey
                    ),
                    let box = try? ChaChaPoly.SealedBox(
                        nonce: AgeFormat.zeroNonce,
                        ciphertext: stanza.body.prefix(16),
                        tag: stanza.body.suffix(16)
                    ),
                    let fileKey = try? ChaChaPoly.open(box, using: wrapKey)
                else { continue }
                return SymmetricKey(data: fileKey)
            }
        }
        return nil
    }

    /// The STREAM payload: a 16-byte nonce, then 64 KiB chunks each with its Poly1305 tag, the last one flagged.
    private static func openPayload(_ payload: Data, fileKey: SymmetricKey) throws(SopsError) -> Data {
        guard payload.count >= 16 + 16 else { throw SopsError(.age, "the age payload is truncated") }
        let key = AgeFormat.payloadKey(fileKey: fileKey, nonce: payload.prefix(16))
        var rest = payload.dropFirst(16)
        var plaintext = Data()
        var counter: UInt64 = 0
        let sealedChunk = AgeFormat.chunkSize + 16
        while true {
            let last = rest.count <= sealedChunk
            let chunk = rest.prefix(sealedChunk)
            rest = rest.dropFirst(chunk.count)
            guard chunk.count >= 16,
                let box = try? ChaChaPoly.SealedBox(
                    nonce: AgeFormat.chunkNonce(counter, last: last),
                    ciphertext: chunk.dropLast(16),
                    tag: chunk.suffix(16)
                ),
                let opened = try? ChaChaPoly.open(box, using: key)
            else { throw SopsError(.age, "the age payload does not decrypt (the file was changed)") }
            // An empty last chunk is only valid for an empty file.
            if last, opened.isEmpty, counter > 0 { throw SopsError(.age, "the age payload ends with an empty chunk") }
            plaintext.append(opened)
            if last { return plaintext }
            counter += 1
        }
    }
}
