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

    /// A token is never sent over plain http: the server asks, the fetch refuses before offering it. (The
    /// give-up after a rejected token is the same code path for https, which has no test server here.)
    @Test func aTokenIsNeverSentOverPlainHTTP() throws {
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
        #expect(error.message.contains("refusing to send the token from \(tokenFile)"), "\(error)")
        #expect(error.message.contains("use an https:// URL"), "\(error)")
        #expect(!error.description.contains("s3cret"))
        #expect(server.authorizations.isEmpty)
    }
}
