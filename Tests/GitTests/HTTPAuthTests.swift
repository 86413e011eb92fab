import Foundation
import Git
import ReconcilerTesting
import Testing

/// libgit2 asks for credentials again after every 401, forever: the fetch must give up with an auth error.
@Suite struct HTTPAuthTests {
    @Test func withoutATokenFileTheErrorSaysSo() throws {
        let server = try UnauthorizedHTTPServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let url = "http://127.0.0.1:\(server.port)/me/homelab.git"
        let error = try #require(throws: GitError.self) {
            try repo.fetch(remote: url, branch: "main", credentials: Credentials(), timeout: .seconds(20))
        }
        #expect(error.code == .auth, "\(error)")
        #expect(error.message.contains("token file"), "\(error)")
        #expect(error.description.contains(url))
    }

    @Test func aRejectedTokenIsAnAuthErrorNotALoop() throws {
        let server = try UnauthorizedHTTPServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let tokenFile = fixture.directory.appending("token")
        try "s3cret-token\n# comment\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let repo = try Repository(at: fixture.clone)
        let credentials = Credentials(tokenFile: tokenFile, tokenUser: "oauth2")
        let error = try #require(throws: GitError.self) {
            try repo.fetch(
                remote: "http://127.0.0.1:\(server.port)/me/homelab.git",
                branch: "main",
                credentials: credentials,
                timeout: .seconds(20)
            )
        }
        #expect(error.code == .auth, "\(error)")
        #expect(error.message.contains("rejected the token from \(tokenFile)"), "\(error)")
        #expect(!error.description.contains("s3cret"))
        // The token was offered once, as Basic oauth2:<first line>.
        let basic = "Basic " + Data("oauth2:s3cret-token".utf8).base64EncodedString()
        #expect(server.authorizations == [basic])
        #expect(server.requests <= 3)
    }
}
