import Foundation
import Git
import ReconcilerTesting
import Testing

/// `signature(of:)` hands out exactly what `git_commit_extract_signature` finds: the armored signature and the
/// commit bytes it signs.
@Suite(.serialized) struct SignatureTests {
    @Test func sshSignedCommitGivesItsSignatureAndSignedData() throws {
        let keys = try SigningKeys()
        defer { keys.remove() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let key = try keys.sshKey("alice")
        let sha = try keys.commit(in: fixture.author, sshKey: key)
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))

        let signature = try #require(try repo.signature(of: ObjectID(hex: sha)))
        #expect(signature.format == .ssh)
        #expect(signature.commit.hex == sha)
        let signed = String(decoding: signature.signedData, as: UTF8.self)
        #expect(signed.hasPrefix("tree "))
        #expect(signed.contains("signed change"))
        #expect(!signed.contains("gpgsig"))
        // The signed data plus the header is the raw commit object git prints.
        let raw = try GitFixture.git(["cat-file", "commit", sha], in: fixture.author)
        #expect(raw.contains("gpgsig -----BEGIN SSH SIGNATURE-----"))
    }

    @Test func unsignedCommitHasNoSignature() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        #expect(try repo.signature(of: ObjectID(hex: try fixture.remoteHead())) == nil)
    }

    @Test func unknownCommitIsABadRevision() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        #expect { try repo.signature(of: ObjectID(hex: String(repeating: "ab", count: 20))) } throws: { error in
            (error as? GitError)?.code == .badRevision
        }
    }
}
