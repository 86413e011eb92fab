import Foundation
import Git
import ReconcilerTesting
import Testing

/// A fetched head must descend from the deployed commit; a force-push back or to an unrelated history is a
/// rewrite. HEAD moved off the deployed commit is drift even when the files are the same.
@Suite struct AncestryTests {
    private func fetch(_ repo: Repository) throws -> ObjectID {
        try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
    }

    @Test func aNormalPushDescends() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let deployed = ObjectID(hex: try fixture.remoteHead())
        try fixture.commit(files: ["a": "1\n"])
        let repo = try Repository(at: fixture.clone)
        let head = try fetch(repo)
        #expect(try repo.relation(of: head, to: deployed) == .descendant)
        #expect(try repo.descends(head, from: deployed))
        #expect(try repo.relation(of: deployed, to: deployed) == .same)
    }

    @Test func aForcePushToAnOlderCommitDoesNotDescend() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let old = try fixture.remoteHead()
        let deployed = ObjectID(hex: try fixture.commit(files: ["security-fix": "1\n"]))
        let repo = try Repository(at: fixture.clone)
        _ = try fetch(repo)
        try GitFixture.git(["push", "--quiet", "--force", "origin", "\(old):refs/heads/main"], in: fixture.author)
        let head = try fetch(repo)
        #expect(head.hex == old)
        #expect(try repo.relation(of: head, to: deployed) == .ancestor)
        #expect(try !repo.descends(head, from: deployed))
    }

    @Test func anAmendedHeadDiverges() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let base = try fixture.remoteHead()
        let deployed = ObjectID(hex: try fixture.commit(files: ["a": "1\n"]))
        let repo = try Repository(at: fixture.clone)
        _ = try fetch(repo)
        try GitFixture.git(["commit", "--quiet", "--amend", "-m", "amended"], in: fixture.author)
        try GitFixture.git(["push", "--quiet", "--force", "origin", "HEAD:refs/heads/main"], in: fixture.author)
        let head = try fetch(repo)
        #expect(try repo.relation(of: head, to: deployed) == .diverged(mergeBase: ObjectID(hex: base)))
        #expect(try !repo.descends(head, from: deployed))
    }

    @Test func anUnrelatedHistoryDiverges() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let deployed = ObjectID(hex: try fixture.remoteHead())
        try GitFixture.git(["checkout", "--quiet", "--orphan", "other"], in: fixture.author)
        try GitFixture.git(["commit", "--quiet", "-m", "unrelated"], in: fixture.author)
        try GitFixture.git(["push", "--quiet", "--force", "origin", "HEAD:refs/heads/main"], in: fixture.author)
        let repo = try Repository(at: fixture.clone)
        let head = try fetch(repo)
        #expect(try repo.relation(of: head, to: deployed) == .diverged(mergeBase: nil))
        #expect(try !repo.descends(head, from: deployed))
    }

    @Test func headMovedOffTheDeployedCommitIsDrift() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let first = ObjectID(hex: try fixture.remoteHead())
        // The same files, another commit: only HEAD tells them apart.
        let second = ObjectID(hex: try fixture.commit(files: [:], message: "empty"))
        let repo = try Repository(at: fixture.clone)
        _ = try fetch(repo)

        // A fresh clone has a branch checked out.
        #expect(try repo.headDrift(from: first) == .branch("main", at: first))
        try repo.checkout(second)
        #expect(try repo.headDrift(from: second) == nil)
        #expect(try repo.headDrift(from: first) == .detached(at: second))
        // By hand: `git checkout <first>` changes no file but moves HEAD.
        try fixture.gitInClone(["checkout", "--quiet", first.hex])
        #expect(try repo.modifiedTrackedFiles().isEmpty)
        #expect(try repo.headDrift(from: second) == .detached(at: first))
        #expect(try repo.headDrift(from: second)?.description == "HEAD is detached at \(first.short)")
        try fixture.gitInClone(["checkout", "--quiet", "main"])
        #expect(try repo.headDrift(from: first)?.description == "branch main is checked out at \(first.short)")
    }
}
