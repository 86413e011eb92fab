import Foundation
import Git
import ReconcilerTesting
import Testing

/// A password in a remote URL never appears in a message, libgit2's fetch errors included.
@Suite struct RedactionTests {
    @Test(arguments: [
        ("https://user:hunter2pass@git.example/homelab.git", "https://user:***@git.example/homelab.git"),
        ("fetch from http://u:p%40ss@host:8080/x failed", "fetch from http://u:***@host:8080/x failed"),
        ("'https://tok:abc@h/x' and ssh://git:pw@h2/y", "'https://tok:***@h/x' and ssh://git:***@h2/y"),
        ("https://user@host/x", "https://user@host/x"),
        ("no url here: a:b@c", "no url here: a:b@c"),
    ])
    func passwordsAreReplaced(text: String, expected: String) {
        #expect(URLRedaction.redactingURLPasswords(text) == expected)
    }

    /// The byte search behind masking and redaction finds what Foundation's `contains` finds, in text with accents,
    /// emoji and CRLF line ends around the needle, and at both ends of the text.
    @Test func theByteSearchFindsWhatFoundationFinds() {
        let texts = [
            "", "://", "a://b", "naïve café ☕️ https://u:p@h/x", "line\r\n://\r\nnext", "😀://😀", "e\u{301}://",
            String(repeating: "dépôt ", count: 10_000) + "tok_abc123",
        ]
        let needles = ["://", "tok_abc123", "abc", "\r\n", "h/x", "zzz", "é", "e\u{301}", "😀"]
        for text in texts {
            for needle in needles {
                let foundation = text.contains(needle)
                let ours = TextSearch.mayContain(text, needle)
                // Never a miss; for ASCII needles, exactly Foundation's answer.
                #expect(!foundation || ours, "\(needle) in \(text.prefix(40))")
                if needle.utf8.allSatisfy({ $0 < 0x80 }) {
                    #expect(ours == foundation, "\(needle) in \(text.prefix(40))")
                }
            }
        }
        let long = String(repeating: "é", count: 100_000) + " https://deploy:s3cret@h/x"
        #expect(URLRedaction.redactingURLPasswords(long).hasSuffix(" https://deploy:***@h/x"))
    }

    @Test func passwordIsFoundForTheMasker() {
        #expect(URLRedaction.password(in: "https://user:hunter2pass@git.example/x") == "hunter2pass")
        #expect(URLRedaction.password(in: "https://user@git.example/x") == nil)
        #expect(URLRedaction.password(in: "/srv/git/x") == nil)
    }

    @Test func gitErrorNeverHoldsAPassword() {
        let error = GitError(
            code: .network,
            call: "git_remote_fetch",
            message: "failed to connect to https://deploy:s3cretTok3n@127.0.0.1:1/h.git",
            context: "https://deploy:s3cretTok3n@127.0.0.1:1/h.git"
        )
        #expect(!error.description.contains("s3cretTok3n"))
        #expect(error.description.contains("https://deploy:***@127.0.0.1:1/h.git"))
    }

    /// A real fetch from a URL with a password to a port nothing listens on: libgit2's error, and ours around
    /// it, name the remote without the password.
    @Test func fetchErrorFromAURLWithAPasswordDoesNotShowIt() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let url = "http://deploy:s3cretTok3n@127.0.0.1:9/homelab.git"
        let error = try #require(throws: GitError.self) {
            try repo.fetch(remote: url, branch: "main", credentials: Credentials(), timeout: .seconds(10))
        }
        #expect(!"\(error)".contains("s3cretTok3n"))
        #expect("\(error)".contains("127.0.0.1"))
    }
}
