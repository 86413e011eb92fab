import Crypto
import Foundation
import ReconcilerCore
import Testing

@Suite struct SopsDotenvTests {
    @Test func readsTheFileSopsWroteWithoutTrimming() throws {
        let document = try SopsDotenv.parse(try SopsFixtures.text("format.enc.env"))
        #expect(document.keys == ["foo "])
        #expect(document.metadata["lastmodified"] == "2026-05-22T20:15:29Z")
        #expect(document.metadata["unencrypted_suffix"] == "_unencrypted")
        #expect(document.keyTypes == ["pgp"])
        #expect(document.ageEntries.isEmpty)
        #expect(document.metadata["pgp__list_0__map_enc"]?.hasPrefix("-----BEGIN PGP MESSAGE-----\n\n") == true)
    }

    @Test func aLineWithoutEqualsIsNamedByNumber() {
        let error = #expect(throws: SopsError.self) { try SopsDotenv.parse("A=ENC[x]\n\nnot a pair\n") }
        #expect(error?.message == "line 3 is not KEY=VALUE")
    }

    @Test func serializesMetadataSortedAfterTheItems() throws {
        let document = SopsDotenv(
            items: [.value(key: "B", value: "two\nlines"), .value(key: "A", value: "")],
            metadata: ["version": "3.9.0", "lastmodified": "t"]
        )
        #expect(document.serialized() == "B=two\\nlines\nA=\nsops_lastmodified=t\nsops_version=3.9.0\n")
        #expect(try SopsDotenv.parse(document.serialized()) == document)
    }

    @Test func aFileWithOnlyPGPIsRefusedNamingTheKeyType() throws {
        let error = #expect(throws: SopsError.self) {
            try SopsDecryptor.decrypt(try SopsFixtures.text("format.enc.env"), identities: [AgeIdentity.generate()])
        }
        #expect(error?.code == .unsupportedKeys)
        #expect(error?.message.contains("encrypted for pgp only") == true)
    }
}

/// The AES-GCM and MAC layers as known answers: `format.enc.env`, written by SOPS 3.13.1, its data key unwrapped by
/// `gpg` with SOPS's test key.
@Suite struct SopsKnownAnswerTests {
    static func fixture() throws -> (SopsDotenv, SymmetricKey, String) {
        let text = try SopsFixtures.text("format.enc.env")
        let key = try SopsFixtures.pgpDataKey(of: text)
        #expect(SopsFixtures.hex(key) == "322d9a97997823fb2bf42f55a6c26100cbaf0520cf88bb7ebee1cf47dd6d318d")
        return (try SopsDotenv.parse(text), SymmetricKey(data: key), text)
    }

    @Test func valueAndMACDecryptToThePublishedPlaintext() throws {
        let (document, key, _) = try Self.fixture()
        guard case .value(let name, let stored) = document.items[0] else {
            Issue.record("no value")
            return
        }
        #expect(
            try SopsValueCipher.decrypt(stored, dataKey: key, additionalData: "foo :", name: name) == " bar"
        )
        for wrong in ["foo:", "foo", ""] {
            #expect(throws: SopsError.self) {
                try SopsValueCipher.decrypt(stored, dataKey: key, additionalData: wrong, name: name)
            }
        }
        let mac = try SopsValueCipher.decrypt(
            document.metadata["mac"]!,
            dataKey: key,
            additionalData: "2026-05-22T20:15:29Z",
            name: "sops_mac"
        )
        let published =
            "479588A10E5427BA281DB4BFDE3577DA274DAC966A5C5FE4F6ECB87DE7476754"
            + "019DEFD8992C82B74F862D4A26F4EEDFB2197B80FC16483AB1580E95F61E5E63"
        #expect(mac == published)
        #expect(SopsMAC.compute([(" bar", true)]) == published)
        let secrets = try SopsDecryptor.decrypt(document, dataKey: key)
        #expect(secrets.values.map(\.key) == ["foo "])
        #expect(secrets.values.map(\.value) == [" bar"])
    }

    @Test func aValueReencryptedUnderTheOldMACFailsTheMAC() throws {
        let (document, key, _) = try Self.fixture()
        var changed = document
        changed.items = [
            .value(key: "foo ", value: SopsValueCipher.encrypt(" baz", dataKey: key, additionalData: "foo :"))
        ]
        let error = #expect(throws: SopsError.self) { try SopsDecryptor.decrypt(changed, dataKey: key) }
        #expect(error?.code == .macMismatch)
        #expect(error?.message.contains("baz") == false)
    }

    @Test func aFlippedCiphertextByteFailsTheTagBeforeTheMAC() throws {
        let (_, key, text) = try Self.fixture()
        let flipped = text.replacingOccurrences(of: "data:XBV7lQ==", with: "data:XBV7lA==")
        let error = #expect(throws: SopsError.self) {
            try SopsDecryptor.decrypt(try SopsDotenv.parse(flipped), dataKey: key)
        }
        #expect(error?.code == .decryption)
        #expect(error?.message.contains("foo ") == true)
    }
}
