import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

@Suite struct SopsEncryptorTests {
    static let plain =
        "DB_PASSWORD=s3cret-value\nexport TOKEN=\"quoted # not a comment\"\n# a comment\nEMPTY=\n"
        + "PORT_unencrypted=8080\nMULTI=one\\ntwo\n"

    @Test func sealedFileOpensAgainWithEveryValue() throws {
        let identity = AgeIdentity.generate()
        let sealed = try SopsEncryptor.seal(Self.plain, to: [identity.recipient])
        #expect(!sealed.contains("s3cret-value"))
        #expect(sealed.contains("PORT_unencrypted=8080\n"))
        let secrets = try SopsDecryptor.decrypt(sealed, identities: [identity])
        #expect(secrets.keys == ["DB_PASSWORD", "export TOKEN", "EMPTY", "PORT_unencrypted", "MULTI"])
        #expect(secrets.values.map(\.value) == ["s3cret-value", "\"quoted # not a comment\"", "", "8080", "one\ntwo"])
        // What Compose reads is the .env as it was written, comments left out.
        #expect(secrets.envFileText == Self.plain.replacingOccurrences(of: "# a comment\n", with: ""))
        #expect(!"\(secrets)".contains("s3cret"))
    }

    @Test func anotherIdentityOrNoneCannotOpenIt() throws {
        let sealed = try SopsEncryptor.seal(Self.plain, to: [AgeIdentity.generate().recipient])
        let wrong = #expect(throws: SopsError.self) {
            try SopsDecryptor.decrypt(sealed, identities: [AgeIdentity.generate()])
        }
        #expect(wrong?.code == .noIdentity)
        #expect(wrong?.message.contains("no configured age identity opens it") == true)
        let none = #expect(throws: SopsError.self) { try SopsDecryptor.decrypt(sealed, identities: []) }
        #expect(none?.message.hasPrefix("no age identity configured") == true)
    }

    @Test func swappedValuesFailTheirAdditionalData() throws {
        let identity = AgeIdentity.generate()
        let sealed = try SopsEncryptor.seal("A=first-secret\nB=second-secret\n", to: [identity.recipient])
        var lines = sealed.components(separatedBy: "\n")
        let a = lines[0].dropFirst(2)
        let b = lines[1].dropFirst(2)
        lines[0] = "A=\(b)"
        lines[1] = "B=\(a)"
        let error = #expect(throws: SopsError.self) {
            try SopsDecryptor.decrypt(lines.joined(separator: "\n"), identities: [identity])
        }
        #expect(error?.code == .decryption)
        // A removed line keeps every tag but not the MAC.
        let removed = sealed.components(separatedBy: "\n").dropFirst().joined(separator: "\n")
        let mac = #expect(throws: SopsError.self) { try SopsDecryptor.decrypt(removed, identities: [identity]) }
        #expect(mac?.code == .macMismatch)
    }

    /// The verifier in Tests/Fixtures/sops (its own reader of SOPS's format) with the real `age` CLI opens what
    /// `seal` writes and finds the same values.
    @Test func theVerifierAndTheAgeToolOpenASealedFile() throws {
        let identity = AgeIdentity.generate()
        let dir = try TemporaryDirectory(prefix: "sops-verify")
        defer { dir.remove() }
        let keyFile = dir.appending("age.key")
        try Data("# test\n\(identity.secretKeyText)\n".utf8).write(to: URL(fileURLWithPath: keyFile))
        let sealedPath = dir.appending(".env.sops")
        try Data(try SopsEncryptor.seal(Self.plain, to: [AgeIdentity.generate().recipient, identity.recipient]).utf8)
            .write(to: URL(fileURLWithPath: sealedPath))
        let script = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            import verify
            doc = verify.parse_dotenv(open(sys.argv[2], 'rb').read())
            key = verify.age_data_key(doc, sys.argv[3])
            print(json.dumps([[k, v] for k, v in verify.decrypt(doc, key)]))
            """
        let output = try Command.check(["python3", "-c", script, SopsFixtures.directory, sealedPath, keyFile])
        let pairs = try JSONDecoder().decode([[String]].self, from: Data(output.utf8))
        let ours = try SopsDecryptor.decrypt(
            try String(contentsOfFile: sealedPath, encoding: .utf8),
            identities: [identity]
        )
        #expect(pairs == ours.values.map { [$0.key, $0.value] })
        #expect(pairs.count == 5)
    }
}
