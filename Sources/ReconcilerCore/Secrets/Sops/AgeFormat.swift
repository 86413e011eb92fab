import Crypto
import Foundation

/// The pieces of the age v1 file format (age-encryption.org/v1) that both directions share: ASCII armor, the header
/// lines, the header MAC, and the payload's STREAM of 64 KiB ChaCha20-Poly1305 chunks.
enum AgeFormat {
    static let intro = "age-encryption.org/v1"
    static let armorBegin = "-----BEGIN AGE ENCRYPTED FILE-----"
    static let armorEnd = "-----END AGE ENCRYPTED FILE-----"
    static let x25519Label = "age-encryption.org/v1/X25519"
    static let chunkSize = 64 * 1024

    /// One recipient stanza: `-> TYPE ARG…` and its body.
    struct Stanza {
        var type: String
        var arguments: [String]
        var body: Data
    }

    /// The binary age file inside armor (`-----BEGIN AGE ENCRYPTED FILE-----` … `-----END …-----`).
    static func dearmor(_ text: String) throws(SopsError) -> Data {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard lines.first == armorBegin, lines.last == armorEnd, lines.count >= 3 else {
            throw SopsError(.age, "not an armored age file (\(armorBegin) … \(armorEnd))")
        }
        let body = lines.dropFirst().dropLast()
        guard body.dropLast().allSatisfy({ $0.count == 64 }), let last = body.last, last.count <= 64,
            let data = Data(base64Encoded: body.joined())
        else { throw SopsError(.age, "the armored age file's base64 is malformed") }
        return data
    }

    static func armor(_ data: Data) -> String {
        let encoded = data.base64EncodedString()
        var lines = [armorBegin]
        var rest = Substring(encoded)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append(armorEnd)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Unpadded standard base64, as age writes stanza arguments, bodies and the MAC; nil when not canonical.
    static func rawBase64(_ text: Substring) -> Data? {
        guard !text.contains("=") else { return nil }
        let padded = String(text) + String(repeating: "=", count: (4 - text.count % 4) % 4)
        guard let data = Data(base64Encoded: padded), rawBase64(data) == text else { return nil }
        return data
    }

    static func rawBase64(_ data: Data) -> String {
        String(data.base64EncodedString().prefix { $0 != "=" })
    }

    /// The header: its stanzas, the bytes the MAC covers (up to and including `---`), the MAC, and where the payload
    /// starts.
    static func parseHeader(
        _ file: Data
    ) throws(SopsError) -> (stanzas: [Stanza], macked: Data, mac: Data, payload: Data) {
        let malformed = SopsError(.age, "the age header is malformed")
        var offset = file.startIndex
        func nextLine() throws(SopsError) -> Substring {
            guard let end = file[offset...].firstIndex(of: UInt8(ascii: "\n")) else { throw malformed }
            let line = String(decoding: file[offset..<end], as: UTF8.self)
            offset = end + 1
            return Substring(line)
        }
        guard try nextLine() == intro else { throw SopsError(.age, "not an age v1 file") }
        var stanzas: [Stanza] = []
        while true {
            let lineStart = offset
            let line = try nextLine()
            if line.hasPrefix("--- ") {
                guard let mac = rawBase64(line.dropFirst(4)), mac.count == 32, !stanzas.isEmpty else { throw malformed }
                let macked = file[file.startIndex..<(lineStart + 3)]
                return (stanzas, Data(macked), mac, Data(file[offset...]))
            }
            guard line.hasPrefix("-> ") else { throw malformed }
            let parts = line.dropFirst(3).split(separator: " ", omittingEmptySubsequences: false)
            guard let type = parts.first, !type.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { throw malformed }
            var body = Data()
            while true {
                let bodyLine = try nextLine()
                guard bodyLine.count <= 64, let chunk = rawBase64(bodyLine) else { throw malformed }
                body.append(chunk)
                if bodyLine.count < 64 { break }
            }
            stanzas.append(Stanza(type: String(type), arguments: parts.dropFirst().map(String.init), body: body))
        }
    }

    static func headerKey(fileKey: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: Data(), info: Data("header".utf8), outputByteCount: 32)
    }

    static func payloadKey(fileKey: SymmetricKey, nonce: Data) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: nonce, info: Data("payload".utf8), outputByteCount: 32)
    }

    /// The wrapping key of an X25519 stanza: HKDF-SHA-256 of the shared secret, salted with the ephemeral share and
    /// the recipient; nil when the shared secret is all zeros (a low-order share).
    static func x25519WrapKey(
        _ shared: SharedSecret,
        share: Data,
        recipient: Curve25519.KeyAgreement.PublicKey
    ) -> SymmetricKey? {
        let isZero = shared.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }
        guard !isZero else { return nil }
        return shared.hkdfDerivedSymmetricKey(
            using: SHA256.self,
            salt: share + recipient.rawRepresentation,
            sharedInfo: Data(x25519Label.utf8),
            outputByteCount: 32
        )
    }

    /// The nonce of STREAM chunk `counter`: an 11-byte big-endian counter and the last-chunk flag.
    static func chunkNonce(_ counter: UInt64, last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[10 - i] = UInt8((counter >> (8 * UInt64(i))) & 0xff) }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    static let zeroNonce = try! ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12))
}
