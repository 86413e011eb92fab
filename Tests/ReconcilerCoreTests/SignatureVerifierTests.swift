import Foundation
import Git
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

/// Real signed commits (git CLI, `ssh-keygen`, `gpg`) checked by the product's verifier through its process
/// runner: unsigned and unknown keys are refused, allowed keys accepted, each verdict naming the commit.
@Suite(.serialized) struct SignatureVerifierTests {
    private let runner = ProcessRunner(logger: Logger(label: "test"))

    private struct Setup {
        let keys: SigningKeys
        let fixture: GitFixture
        let repo: Repository
        func remove() {
            keys.stopAgent()
            keys.remove()
            fixture.remove()
        }
        func fetch() throws {
            _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        }
    }

    private func setup() throws -> Setup {
        let keys = try SigningKeys()
        let fixture = try GitFixture.make()
        return Setup(keys: keys, fixture: fixture, repo: try Repository(at: fixture.clone))
    }

    private func verifier(
        _ setup: Setup,
        allowedSigners: String? = nil,
        gpgKeyring: String? = nil
    )
        -> SignatureVerifier
    {
        SignatureVerifier(
            allowedSigners: allowedSigners,
            gpgKeyring: gpgKeyring,
            runner: runner,
            scratchDirectory: setup.keys.directory.path
        )
    }

    @Test func sshSignedByAnAllowedKeyIsTrusted() async throws {
        let s = try setup()
        defer { s.remove() }
        let alice = try s.keys.sshKey("alice")
        let allowed = try s.keys.allowedSigners([("alice@homelab", alice)])
        let sha = try s.keys.commit(in: s.fixture.author, sshKey: alice)
        try s.fetch()

        let verdict = try await verifier(s, allowedSigners: allowed).verify(ObjectID(hex: sha), in: s.repo)
        #expect(verdict.isTrusted, "\(verdict)")
        guard case .trusted(let signer, let key) = verdict.outcome else { return }
        #expect(signer == "alice@homelab")
        #expect(key.hasPrefix("SHA256:"))
        #expect(
            verdict.description.hasPrefix("commit \(ObjectID(hex: sha).short) has a good signature by alice@homelab")
        )
    }

    @Test func sshSignedByAnUnknownKeyIsRefused() async throws {
        let s = try setup()
        defer { s.remove() }
        let alice = try s.keys.sshKey("alice")
        let mallory = try s.keys.sshKey("mallory")
        let allowed = try s.keys.allowedSigners([("alice@homelab", alice)])
        let sha = try s.keys.commit(in: s.fixture.author, sshKey: mallory)
        try s.fetch()

        let verdict = try await verifier(s, allowedSigners: allowed).verify(ObjectID(hex: sha), in: s.repo)
        #expect(!verdict.isTrusted)
        #expect(verdict.outcome == .untrusted("its SSH key is not in \(allowed)"))
        #expect(verdict.description.contains("commit \(ObjectID(hex: sha).short) is not signed by a trusted key"))
    }

    @Test func unsignedCommitIsRefused() async throws {
        let s = try setup()
        defer { s.remove() }
        let alice = try s.keys.sshKey("alice")
        let allowed = try s.keys.allowedSigners([("alice@homelab", alice)])
        let sha = try s.keys.commit(in: s.fixture.author)
        try s.fetch()

        let verdict = try await verifier(s, allowedSigners: allowed).verify(ObjectID(hex: sha), in: s.repo)
        #expect(verdict.outcome == .unsigned)
        #expect(verdict.commit.hex == sha)
        #expect(verdict.description.contains("commit \(ObjectID(hex: sha).short) is not signed"))
    }

    /// The signed bytes come from the commit object: a signature moved onto other content does not verify.
    @Test func signatureOverOtherDataIsRefused() async throws {
        let s = try setup()
        defer { s.remove() }
        let alice = try s.keys.sshKey("alice")
        let allowed = try s.keys.allowedSigners([("alice@homelab", alice)])
        let sha = try s.keys.commit(in: s.fixture.author, sshKey: alice)
        try s.fetch()
        let real = try #require(try s.repo.signature(of: ObjectID(hex: sha)))
        let forged = CommitSignature(
            commit: real.commit,
            signature: real.signature,
            signedData: real.signedData + Data("tampered\n".utf8)
        )
        let verdict = await verifier(s, allowedSigners: allowed).verify(forged, of: real.commit)
        #expect(!verdict.isTrusted)
        guard case .untrusted(let why) = verdict.outcome else {
            Issue.record("expected untrusted, got \(verdict)")
            return
        }
        #expect(why.contains("does not verify"))
    }

    @Test func sshSignatureWithoutAllowedSignersIsUnverifiable() async throws {
        let s = try setup()
        defer { s.remove() }
        let sha = try s.keys.commit(in: s.fixture.author, sshKey: try s.keys.sshKey("alice"))
        try s.fetch()
        let verdict = try await verifier(s, gpgKeyring: "/nonexistent").verify(ObjectID(hex: sha), in: s.repo)
        #expect(verdict.outcome == .unverifiable("it has an SSH signature and verify.allowedSigners is not set"))
    }

    @Test func gpgSignedByAKeyInTheKeyringIsTrustedAndOthersAreNot() async throws {
        let s = try setup()
        defer { s.remove() }
        let alice = try s.keys.gpgKey("Alice <alice@homelab>")
        let mallory = try s.keys.gpgKey("Mallory <mallory@evil>")
        let keyring = try s.keys.gpgKeyring([alice])
        let good = try s.keys.commit(in: s.fixture.author, gpg: alice)
        let bad = try s.keys.commit(in: s.fixture.author, gpg: mallory)
        try s.fetch()
        let verify = verifier(s, gpgKeyring: keyring)

        let trusted = try await verify.verify(ObjectID(hex: good), in: s.repo)
        #expect(trusted.outcome == .trusted(signer: "Alice <alice@homelab>", key: alice), "\(trusted)")

        let untrusted = try await verify.verify(ObjectID(hex: bad), in: s.repo)
        #expect(!untrusted.isTrusted)
        guard case .untrusted(let why) = untrusted.outcome else {
            Issue.record("expected untrusted, got \(untrusted)")
            return
        }
        #expect(why.contains("is not in \(keyring)"), "\(why)")

        // The machine's own (here: the signing) GNUPGHOME never counts: with an empty keyring alice is unknown.
        let empty = s.keys.directory.appending("empty.gpg")
        try Data().write(to: URL(fileURLWithPath: empty))
        let none = try await verifier(s, gpgKeyring: empty).verify(ObjectID(hex: good), in: s.repo)
        #expect(!none.isTrusted, "\(none)")
    }
}
