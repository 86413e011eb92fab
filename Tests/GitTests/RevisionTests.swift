import Foundation
import Git
import ReconcilerTesting
import Testing

@Suite struct RevisionTests {
    /// A clone whose HEAD (the author clone's, fetched and checked out) has three commits: first, second, third.
    private func threeCommits() throws -> (GitFixture, Repository, [String]) {
        let fixture = try GitFixture.make(files: ["a.txt": "1\n"], message: "first")
        let first = try fixture.remoteHead()
        let second = try fixture.commit(files: ["a.txt": "2\n"], message: "second")
        let third = try fixture.commit(files: ["a.txt": "3\n"], message: "third\n\nbody text")
        let repo = try Repository(at: fixture.clone)
        let fetched = try repo.fetch(
            remote: "origin",
            branch: "main",
            credentials: Credentials(),
            timeout: .seconds(20)
        )
        try repo.checkout(fetched)
        return (fixture, repo, [first, second, third])
    }

    @Test func resolvesHeadAndAncestors() throws {
        let (fixture, repo, shas) = try threeCommits()
        defer { fixture.remove() }
        #expect(try repo.commit(for: "HEAD").id.hex == shas[2])
        #expect(try repo.commit(for: "HEAD~1").id.hex == shas[1])
        #expect(try repo.commit(for: "HEAD^^").id.hex == shas[0])
        #expect(try repo.commit(for: "origin/main").id.hex == shas[2])
        #expect(try repo.commit(for: "refs/remotes/origin/main~2").id.hex == shas[0])
    }

    @Test func commitValueIsCopiedOut() throws {
        let (fixture, repo, shas) = try threeCommits()
        defer { fixture.remove() }
        let commit = try repo.commit(for: "HEAD")
        #expect(commit.summary == "third")
        #expect(commit.authorName == "Fixture Author")
        #expect(commit.authorEmail == "author@fixture.test")
        #expect(commit.parents.map(\.hex) == [shas[1]])
        #expect(abs(commit.time.timeIntervalSinceNow) < 600)
        #expect(commit.id.short == String(shas[2].prefix(12)))
    }

    @Test func resolvesShortShaAndFullSha() throws {
        let (fixture, repo, shas) = try threeCommits()
        defer { fixture.remove() }
        #expect(try repo.commit(for: String(shas[1].prefix(7))).id.hex == shas[1])
        #expect(try repo.commit(for: shas[0]).id.hex == shas[0])
        #expect(try repo.commit(for: shas[0].uppercased()).id.hex == shas[0])
    }

    @Test func resolvesAnnotatedAndLightweightTags() throws {
        let fixture = try GitFixture.make(files: ["a.txt": "1\n"], message: "first")
        defer { fixture.remove() }
        let first = try fixture.remoteHead()
        try fixture.tag("v1", message: "release 1")
        let second = try fixture.commit(files: ["a.txt": "2\n"])
        try fixture.tag("light")
        _ = try fixture.commit(files: ["a.txt": "3\n"])
        let repo = try Repository(at: fixture.clone)
        // Tags pointing into the fetched history come along with the fetch.
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(try repo.commit(for: "v1").id.hex == first)
        #expect(try repo.commit(for: "refs/tags/v1").id.hex == first)
        #expect(try repo.commit(for: "light").id.hex == second)
    }

    @Test(arguments: ["nope", "HEAD~10", "origin/production", "0123456", "v9.9", "HEAD:a.txt"])
    func badRevisionNamesIt(_ revision: String) throws {
        let (fixture, repo, _) = try threeCommits()
        defer { fixture.remove() }
        let error = try #require(throws: GitError.self) { try repo.commit(for: revision) }
        #expect(error.code == .badRevision, "\(error)")
        #expect(error.description.contains(revision))
    }

    @Test func logFollowsFirstParents() throws {
        let (fixture, repo, shas) = try threeCommits()
        defer { fixture.remove() }
        let head = try repo.commit(for: "HEAD").id
        #expect(try repo.log(from: head, limit: 10).map(\.id.hex) == shas.reversed())
        #expect(try repo.log(from: head, limit: 2).map(\.summary) == ["third", "second"])
        #expect(try repo.log(from: head, limit: 0).isEmpty)
    }

    @Test func logSkipsMergedSideBranches() throws {
        let fixture = try GitFixture.make(files: ["a.txt": "1\n"], message: "base")
        defer { fixture.remove() }
        let git = { (args: [String]) in _ = try GitFixture.git(args, in: fixture.author) }
        try git(["checkout", "--quiet", "-b", "side"])
        try git(["commit", "--quiet", "--allow-empty", "-m", "side work"])
        try git(["checkout", "--quiet", "main"])
        try git(["commit", "--quiet", "--allow-empty", "-m", "main work"])
        try git(["merge", "--quiet", "--no-ff", "-m", "merge side", "side"])
        try git(["push", "--quiet", "origin", "main"])
        let repo = try Repository(at: fixture.clone)
        let head = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(try repo.log(from: head, limit: 10).map(\.summary) == ["merge side", "main work", "base"])
        #expect(try repo.commit(for: "origin/main").parents.count == 2)
    }

    @Test func ancestry() throws {
        let (fixture, repo, shas) = try threeCommits()
        defer { fixture.remove() }
        let ids = shas.map(ObjectID.init(hex:))
        #expect(try repo.isAncestor(ids[0], of: ids[2]))
        #expect(try repo.isAncestor(ids[1], of: ids[2]))
        #expect(try repo.isAncestor(ids[2], of: ids[2]))
        #expect(try !repo.isAncestor(ids[2], of: ids[0]))
    }

    @Test func divergedCommitsAreNotAncestors() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let a = try fixture.commit(files: ["a": "a\n"])
        try GitFixture.git(["reset", "--quiet", "--hard", "HEAD~1"], in: fixture.author)
        try GitFixture.git(["commit", "--quiet", "--allow-empty", "-m", "other"], in: fixture.author)
        try GitFixture.git(["push", "--quiet", "--force", "origin", "HEAD:refs/heads/main"], in: fixture.author)
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: fixture.remote, branch: "main", credentials: Credentials(), timeout: .seconds(20))
        // `a` is still in the clone's object store from before? No: it was never fetched there.
        let b = try repo.commit(for: "reconciler/main").id
        let error = try #require(throws: GitError.self) { try repo.isAncestor(ObjectID(hex: a), of: b) }
        #expect(error.code == .notFound || error.code == .other, "\(error)")
        let base = try repo.commit(for: "reconciler/main~1").id
        #expect(try repo.isAncestor(base, of: b))
        #expect(try !repo.isAncestor(b, of: base))
    }

    @Test func twoDivergedCommitsAreNeitherAncestorOfTheOther() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let a = try fixture.commit(files: ["a": "a\n"], message: "a")
        let fetchedA = try repo.fetch(
            remote: "origin",
            branch: "main",
            credentials: Credentials(),
            timeout: .seconds(20)
        )
        #expect(fetchedA.hex == a)
        try GitFixture.git(["reset", "--quiet", "--hard", "HEAD~1"], in: fixture.author)
        try GitFixture.git(["commit", "--quiet", "--allow-empty", "-m", "b"], in: fixture.author)
        try GitFixture.git(["push", "--quiet", "--force", "origin", "HEAD:refs/heads/main"], in: fixture.author)
        let b = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(b != fetchedA)
        // Both are in the clone now: neither descends from the other, both from the first commit.
        #expect(try !repo.isAncestor(fetchedA, of: b))
        #expect(try !repo.isAncestor(b, of: fetchedA))
        let base = try repo.commit(for: "\(b.hex)~1").id
        #expect(try repo.isAncestor(base, of: fetchedA))
        #expect(try repo.isAncestor(base, of: b))
    }
}
