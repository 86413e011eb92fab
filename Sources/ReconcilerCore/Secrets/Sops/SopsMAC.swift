import Crypto
import Foundation

/// SOPS's message authentication code: SHA-512 over the plaintext of every value in file order (only the encrypted
/// ones, after fixed bytes, when `mac_only_encrypted`), as 128 upper-case hex digits, stored in `sops_mac` encrypted
/// with the data key and `sops_lastmodified` as additional data.
package enum SopsMAC {
    /// sops.go `MACOnlyEncryptedInitialization`.
    static let macOnlyEncryptedInitialization: [UInt8] = [
        0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
        0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
    ]

    /// - Parameters:
    ///   - values: Each value's plaintext in file order, and whether it was encrypted.
    ///   - onlyEncrypted: The file's `mac_only_encrypted`.
    package static func compute(_ values: [(plaintext: String, encrypted: Bool)], onlyEncrypted: Bool = false) -> String
    {
        var hash = SHA512()
        if onlyEncrypted { hash.update(data: macOnlyEncryptedInitialization) }
        for value in values where !onlyEncrypted || value.encrypted {
            hash.update(data: Data(value.plaintext.utf8))
        }
        return hash.finalize().map { String(format: "%02X", $0) }.joined()
    }
}
