/// Why a `.env.sops` file could not be read, opened or written. The message names keys and files, never a value.
package struct SopsError: Error, Sendable, Equatable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        package var description: String { name }

        /// The file is not SOPS dotenv (a line without `=`, a malformed `ENC[…]`, missing metadata).
        package static let malformed = Code("malformed")
        /// An age file, key or identity that does not parse.
        package static let age = Code("age")
        /// No configured identity opens any of the file's age entries (or none is configured).
        package static let noIdentity = Code("no-identity")
        /// The file's data key is only held by key types the reconciler does not open (PGP, KMS, Vault …).
        package static let unsupportedKeys = Code("unsupported-keys")
        /// A value's or the MAC's GCM tag does not verify: changed after it was written, or another key.
        package static let decryption = Code("decryption")
        /// The values decrypt but do not match `sops_mac`: values were changed, removed or reordered.
        package static let macMismatch = Code("mac-mismatch")
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
