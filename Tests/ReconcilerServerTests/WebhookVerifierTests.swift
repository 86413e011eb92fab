import Crypto
import Foundation
import Testing

@testable import ReconcilerServer

struct WebhookVerifierTests {
    let secret = Array("It's a Secret to Everybody".utf8)

    func headers(_ pairs: [String: String]) -> (String) -> String? {
        { name in pairs.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    @Test func githubDocumentedExampleSignature() {
        // GitHub's documented test vector for X-Hub-Signature-256.
        let verifier = WebhookVerifier(secret: secret)
        let body = Array("Hello, World!".utf8)
        let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        #expect(verifier.signature(body) == expected)
        #expect(verifier.verify(.github, body: body, header: headers(["X-Hub-Signature-256": expected])))
    }

    @Test(arguments: [
        "ping-payload.json", "push-payload.json", "push-1.payload.json", "push-with-new-branch.payload.json",
    ])
    func githubSignatureOverTheRawFixtureBytes(_ name: String) throws {
        let body = try WebhookFixtures.bytes("github/\(name)")
        let verifier = WebhookVerifier(secret: secret)
        let signature = verifier.signature(body)
        #expect(verifier.verify(.github, body: body, header: headers(["X-Hub-Signature-256": signature])))
        // One byte changed, or re-serialised JSON, no longer verifies.
        var changed = body
        changed[changed.count / 2] ^= 1
        #expect(!verifier.verify(.github, body: changed, header: headers(["X-Hub-Signature-256": signature])))
        #expect(
            !WebhookVerifier(secret: Array("other".utf8)).verify(
                .github,
                body: body,
                header: headers(["X-Hub-Signature-256": signature])
            )
        )
    }

    @Test func missingMalformedAndPrefixlessSignaturesFail() throws {
        let body = try WebhookFixtures.bytes("github/push-payload.json")
        let verifier = WebhookVerifier(secret: secret)
        let hex = String(verifier.signature(body).dropFirst("sha256=".count))
        #expect(!verifier.verify(.github, body: body, header: headers([:])))
        #expect(!verifier.verify(.github, body: body, header: headers(["X-Hub-Signature-256": hex])))
        #expect(!verifier.verify(.github, body: body, header: headers(["X-Hub-Signature-256": "sha256=zz"])))
        #expect(
            !verifier.verify(.github, body: body, header: headers(["X-Hub-Signature-256": "sha256=" + hex.dropLast(2)]))
        )
        #expect(!verifier.verify(.github, body: body, header: headers(["X-Hub-Signature": "sha1=" + hex])))
    }

    @Test(arguments: ["X-Gitea-Signature", "X-Forgejo-Signature", "X-Gogs-Signature"])
    func giteaFamilySendsTheBareHexDigest(_ header: String) throws {
        let body = try WebhookFixtures.bytes("github/push-with-new-branch.payload.json")
        let verifier = WebhookVerifier(secret: secret)
        let hex = String(verifier.signature(body).dropFirst("sha256=".count))
        #expect(verifier.verify(.gitea, body: body, header: headers([header: hex])))
        #expect(!verifier.verify(.gitea, body: body, header: headers([header: "sha256=" + hex])))
        #expect(!verifier.verify(.gitea, body: body, header: headers([header: String(repeating: "0", count: 64)])))
    }

    @Test func gitlabComparesTheToken() {
        let verifier = WebhookVerifier(secret: secret)
        #expect(verifier.verify(.gitlab, body: [], header: headers(["X-Gitlab-Token": "It's a Secret to Everybody"])))
        #expect(!verifier.verify(.gitlab, body: [], header: headers(["X-Gitlab-Token": "It's a Secret to Everybod"])))
        #expect(!verifier.verify(.gitlab, body: [], header: headers(["X-Gitlab-Token": ""])))
        #expect(!verifier.verify(.gitlab, body: [], header: headers([:])))
    }

    @Test func genericUsesTheReconcilerHeader() {
        let verifier = WebhookVerifier(secret: secret)
        let body = Array(#"{"ref":"refs/heads/main"}"#.utf8)
        let signature = verifier.signature(body)
        #expect(verifier.verify(.generic, body: body, header: headers(["X-Reconciler-Signature": signature])))
        #expect(!verifier.verify(.generic, body: body, header: headers(["X-Hub-Signature-256": signature])))
    }

    @Test func constantTimeEqualCompares() {
        #expect(WebhookVerifier.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!WebhookVerifier.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!WebhookVerifier.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test func secretFileMustBePrivateAndNonEmpty() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/webhook.secret"
        #expect(throws: (any Error).self) { try WebhookSecret.load(nil) }
        #expect(throws: (any Error).self) { try WebhookSecret.load(path) }
        try "s3cr3t-value-of-32-bytes-or-so\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        do {
            _ = try WebhookSecret.load(path)
            Issue.record("a world-readable secret file was accepted")
        } catch {
            #expect("\(error)".contains("chmod 600 \(path)"))
            #expect(!"\(error)".contains("s3cr3t-value"), "the message must not show the secret")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try WebhookSecret.load(path) == Array("s3cr3t-value-of-32-bytes-or-so".utf8))
        try "\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: (any Error).self) { try WebhookSecret.load(path) }
    }

    @Test func aSecretShorterThan16BytesIsRefusedWithTheCommandToMakeOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/webhook.secret"
        try "x\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        do {
            _ = try WebhookSecret.load(path)
            Issue.record("a one-byte secret was accepted")
        } catch {
            #expect("\(error)".contains("at least 16"), "\(error)")
            #expect("\(error)".contains("openssl rand -hex 32 > \(path); chmod 600 \(path)"), "\(error)")
        }
        try String(repeating: "k", count: 16).write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try WebhookSecret.load(path).count == 16)
    }
}
