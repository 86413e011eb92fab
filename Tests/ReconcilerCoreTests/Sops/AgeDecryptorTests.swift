import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

@Suite struct AgeDecryptorTests {
    @Test func opensSopsMockEncryptedKey() throws {
        let vectors = try SopsFixtures.vectors()
        let plain = try AgeDecryptor.decrypt(
            armored: vectors["mockEncryptedKey"]!,
            identities: [try AgeIdentity(vectors["mockIdentity"]!)]
        )
        #expect(String(decoding: plain, as: UTF8.self) == vectors["mockEncryptedKeyPlain"])
    }

    @Test func anotherIdentityDoesNotOpenIt() throws {
        let vectors = try SopsFixtures.vectors()
        let error = #expect(throws: SopsError.self) {
            try AgeDecryptor.decrypt(
                armored: vectors["mockEncryptedKey"]!,
                identities: [try AgeIdentity(vectors["mockOtherIdentity"]!)]
            )
        }
        #expect(error?.code == .noIdentity)
    }

    @Test func aChangedByteIsRefused() throws {
        let vectors = try SopsFixtures.vectors()
        let armored = vectors["mockEncryptedKey"]!
        var lines = armored.components(separatedBy: "\n")
        // The last base64 line carries payload bytes: change one character of it.
        let last = lines.count - 2
        var chars = Array(lines[last])
        chars[0] = chars[0] == "A" ? "B" : "A"
        lines[last] = String(chars)
        #expect(throws: SopsError.self) {
            try AgeDecryptor.decrypt(
                armored: lines.joined(separator: "\n"),
                identities: [try AgeIdentity(vectors["mockIdentity"]!)]
            )
        }
    }

    /// Data keys encrypted by the reference implementation (Debian's `age`), to two recipients, one ours.
    @Test func opensWhatTheAgeToolEncrypts() throws {
        let ours = AgeIdentity.generate()
        let other = AgeIdentity.generate()
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        let dir = try TemporaryDirectory(prefix: "age-ref")
        defer { dir.remove() }
        try key.write(to: URL(fileURLWithPath: dir.appending("key")))
        let armored = try Command.check([
            "age", "-e", "-a", "-r", other.recipient.description, "-r", ours.recipient.description,
            dir.appending("key"),
        ])
        #expect(try AgeDecryptor.decrypt(armored: armored, identities: [ours]) == key)
        // Larger than one 64 KiB chunk: the STREAM's counter and last flag.
        let big = Data((0..<(150 * 1024)).map { UInt8($0 % 251) })
        try big.write(to: URL(fileURLWithPath: dir.appending("big")))
        let bigArmored = try Command.check(["age", "-e", "-a", "-r", ours.recipient.description, dir.appending("big")])
        #expect(try AgeDecryptor.decrypt(armored: bigArmored, identities: [other, ours]) == big)
    }

    @Test func theAgeToolOpensWhatWeEncrypt() throws {
        let identity = AgeIdentity.generate()
        let dir = try TemporaryDirectory(prefix: "age-ref")
        defer { dir.remove() }
        let keyFile = dir.appending("identity")
        try Data((identity.secretKeyText + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
        for size in [32, 64 * 1024, 64 * 1024 + 1] {
            let plain = Data((0..<size).map { UInt8($0 % 253) })
            let armored = AgeEncryptor.encrypt(plain, to: [AgeIdentity.generate().recipient, identity.recipient])
            try Data(armored.utf8).write(to: URL(fileURLWithPath: dir.appending("file.age")))
            try Command.check(["age", "-d", "-i", keyFile, "-o", dir.appending("out"), dir.appending("file.age")])
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir.appending("out"))) == plain)
        }
    }
}
