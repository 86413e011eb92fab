import Foundation
import Git
import ReconcilerTesting
import Testing

@Suite struct FetchTests {
    @Test func fetchByRemoteNameReturnsTheNewHead() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let sha = try fixture.commit(files: ["a.txt": "a\n"], message: "add a")
        let head = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(head.hex == sha)
        #expect(try repo.commit(for: "origin/main").id.hex == sha)
        #expect(try repo.commit(for: "origin/main").summary == "add a")
        // The work tree is not touched by a fetch.
        #expect(try repo.head()?.id.hex != sha)
    }

    @Test func fetchByFileURLAndPlainPath() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let first = try fixture.commit(files: ["a.txt": "a\n"])
        let viaURL = try repo.fetch(
            remote: "file://\(fixture.remote)",
            branch: "main",
            credentials: Credentials(),
            timeout: .seconds(20)
        )
        #expect(viaURL.hex == first)
        #expect(try repo.commit(for: "refs/remotes/\(Repository.anonymousRemoteName)/main").id.hex == first)

        let second = try fixture.commit(files: ["a.txt": "b\n"])
        let viaPath = try repo.fetch(
            remote: fixture.remote,
            branch: "main",
            credentials: Credentials(),
            timeout: .seconds(20)
        )
        #expect(viaPath.hex == second)
        #expect(try repo.commit(for: "reconciler/main").id.hex == second)
        // origin/main was not moved by the URL fetches.
        #expect(try repo.commit(for: "origin/main").id.hex != second)
    }

    @Test func fetchWithNothingNewReturnsTheSameHead() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let a = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        let b = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(a == b)
        #expect(a.hex == (try fixture.remoteHead()))
    }

    @Test func fetchFollowsAForcePush() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        _ = try fixture.commit(files: ["a.txt": "a\n"])
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        try GitFixture.git(["reset", "--quiet", "--hard", "HEAD~1"], in: fixture.author)
        try GitFixture.git(["commit", "--quiet", "--allow-empty", "--message", "rewritten"], in: fixture.author)
        try GitFixture.git(["push", "--quiet", "--force", "origin", "HEAD:refs/heads/main"], in: fixture.author)
        let rewritten = try fixture.remoteHead()
        let head = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(head.hex == rewritten)
    }

    @Test func missingBranchNamesRemoteAndBranch() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let error = try #require(throws: GitError.self) {
            try repo.fetch(remote: "origin", branch: "production", credentials: Credentials(), timeout: .seconds(20))
        }
        #expect(error.code == .notFound)
        #expect(error.message.contains("production"))
        #expect(error.message.contains("origin"))
        #expect(error.message.contains("main"))  // lists what is there
    }

    @Test func missingRemotePathIsNotFoundNamingIt() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let missing = fixture.directory.appending("does-not-exist.git")
        for remote in [missing, "file://\(missing)"] {
            let error = try #require(throws: GitError.self) {
                try repo.fetch(remote: remote, branch: "main", credentials: Credentials(), timeout: .seconds(20))
            }
            #expect(error.code == .notFound, "\(error)")
            #expect(error.description.contains(missing), "\(error)")
        }
    }

    @Test func unknownRemoteNameIsNotFound() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let error = try #require(throws: GitError.self) {
            try repo.fetch(remote: "upstream", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        }
        #expect(error.code == .notFound)
        #expect(error.message.contains("upstream"))
        #expect(error.message.contains("origin"))
    }

    @Test func unreachableHostIsANetworkError() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let port = try closedPort()
        let url = "http://127.0.0.1:\(port)/homelab.git"
        let error = try #require(throws: GitError.self) {
            try repo.fetch(remote: url, branch: "main", credentials: Credentials(), timeout: .seconds(20))
        }
        #expect(error.code == .network, "\(error)")
        #expect(error.description.contains(url), "\(error)")
    }

    @Test func invalidBranchNameIsRefused() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let error = try #require(throws: GitError.self) {
            try repo.fetch(remote: "origin", branch: "a..b", credentials: Credentials(), timeout: .seconds(20))
        }
        #expect(error.code == .badRevision)
    }
}
