import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

@Suite struct AgeIdentityTests {
    @Test func sopsMockIdentitiesGiveTheirPublishedRecipients() throws {
        let vectors = try SopsFixtures.vectors()
        #expect(try AgeIdentity(vectors["mockIdentity"]!).recipient.description == vectors["mockRecipient"])
        #expect(try AgeIdentity(vectors["mockOtherIdentity"]!).recipient.description == vectors["mockOtherRecipient"])
        #expect(try AgeRecipient(vectors["mockRecipient"]!).description == vectors["mockRecipient"])
    }

    @Test func keyFileWithCommentsAndTwoIdentities() throws {
        let identities = try AgeIdentity.parseKeyFile(try SopsFixtures.text("age-keys.txt"), source: "age-keys.txt")
        #expect(
            identities.map(\.recipient.description) == [
                "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw",
                "age1tmaae3ld5vpevmsh5yacsauzx8jetg300mpvc4ugp5zr5l6ssq9sla97ep",
            ]
        )
    }

    @Test func aBadLineIsNamedByNumberWithoutItsText() throws {
        let identity = AgeIdentity.generate()
        let broken = String(identity.secretKeyText.dropLast()) + "Q"
        let error = #expect(throws: SopsError.self) {
            try AgeIdentity.parseKeyFile("# created\n\(identity.secretKeyText)\n\(broken)\n", source: "/k")
        }
        #expect(error?.message.contains("/k line 3") == true)
        #expect(error?.message.contains(broken) == false)
        #expect(throws: SopsError.self) { try AgeIdentity.parseKeyFile("# only a comment\n", source: "/k") }
    }

    @Test func secretKeyTextRoundTripsAndMatchesAgeKeygen() throws {
        let identity = AgeIdentity.generate()
        #expect(try AgeIdentity(identity.secretKeyText).recipient == identity.recipient)
        let derived = try Command.check(["age-keygen", "-y"], input: identity.secretKeyText + "\n")
        #expect(derived.trimmingCharacters(in: .whitespacesAndNewlines) == identity.recipient.description)
        #expect(!"\(identity)".contains(identity.secretKeyText))
    }
}
