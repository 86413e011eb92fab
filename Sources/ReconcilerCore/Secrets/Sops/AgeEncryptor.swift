import Crypto
import Foundation

/// Writes an armored age v1 file to X25519 recipients, as `age -e -a -r …` does.
package enum AgeEncryptor {
    package static func encrypt(_ plaintext: Data, to recipients: [AgeRecipient]) -> String {
        let fileKey = SymmetricKey(size: .init(bitCount: 128))
        var header = AgeFormat.intro + "\n"
        for recipient in recipients {
            let ephemeral = Curve25519.KeyAgreement.PrivateKey()
            let share = ephemeral.publicKey.rawRepresentation
            // A recipient's key is a valid point by construction, so agreement and wrapping cannot fail.
            let shared = try! ephemeral.sharedSecretFromKeyAgreement(with: recipient.publicKey)
            let wrapKey = AgeFormat.x25519WrapKey(shared, share: share, recipient: recipient.publicKey)!
            let box = try! ChaChaPoly.seal(
                fileKey.withUnsafeBytes { Data($0) },
                using: wrapKey,
                nonce: AgeFormat.zeroNonce
            )
            header += "-> X25519 \(AgeFormat.rawBase64(share))\n"
            header += wrapBody(AgeFormat.rawBase64(box.ciphertext + box.tag))
        }
        header += "---"
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data(header.utf8),
            using: AgeFormat.headerKey(fileKey: fileKey)
        )
        var file = Data((header + " " + AgeFormat.rawBase64(Data(mac)) + "\n").utf8)
        var nonce = Data(count: 16)
        nonce.withUnsafeMutableBytes { raw in
            for i in 0..<raw.count { raw[i] = UInt8.random(in: 0...255) }
        }
        file.append(nonce)
        let key = AgeFormat.payloadKey(fileKey: fileKey, nonce: nonce)
        var rest = plaintext[...]
        var counter: UInt64 = 0
        repeat {
            let chunk = rest.prefix(AgeFormat.chunkSize)
            rest = rest.dropFirst(chunk.count)
            let box = try! ChaChaPoly.seal(chunk, using: key, nonce: AgeFormat.chunkNonce(counter, last: rest.isEmpty))
            file.append(box.ciphertext)
            file.append(box.tag)
            counter += 1
        } while !rest.isEmpty
        return AgeFormat.armor(file)
    }

    /// A stanza body in lines of 64 characters; a body of a multiple of 64 ends with an empty line.
    private static func wrapBody(_ text: String) -> String {
        var lines: [Substring] = []
        var rest = Substring(text)
        while rest.count >= 64 {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        lines.append(rest)
        return lines.map { $0 + "\n" }.joined()
    }
}
