import Foundation
import Git
import ReconcilerTesting
import Testing

/// A checkout killed half-way leaves some of the target's files written and untracked. They hold exactly the target's
/// bytes, so they are not in the way of checking the target out again; anything else in the way still is.
@Suite struct CheckoutLeftoverTests {
    /// A fixture with `base.txt`, and a target commit pushed on top adding `services/web/notes.conf` and
    /// `services/web/ignored.conf` (a path the deploy clone ignores).
    private func fixture() throws -> (GitFixture, Repository, ObjectID) {
        let fixture = try GitFixture.make(files: ["base.txt": "base\n"])
        // Ignored in the deploy clone only, so the author can commit the path.
        try GitFixture.write("ignored.conf\n", to: ".git/info/exclude", in: fixture.clone)
        let target = try fixture.commit(
            files: ["services/web/notes.conf": "notes of the target\n", "services/web/ignored.conf": "from git\n"]
        )
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        return (fixture, repo, ObjectID(hex: target))
    }

    @Test func anUntrackedFileHoldingTheTargetsBytesIsNotInTheWay() throws {
        let (fixture, repo, target) = try fixture()
        defer { fixture.remove() }
        try GitFixture.write("notes of the target\n", to: "services/web/notes.conf", in: fixture.clone)

        #expect(try repo.checkoutConflicts(for: target).isEmpty)
        try repo.checkout(target)
        #expect(try repo.modifiedTrackedFiles().isEmpty)
    }

    @Test func anUntrackedFileWithOtherBytesIsStillNamed() throws {
        let (fixture, repo, target) = try fixture()
        defer { fixture.remove() }
        try GitFixture.write("the operator's own notes\n", to: "services/web/notes.conf", in: fixture.clone)

        #expect(try repo.checkoutConflicts(for: target).map(\.path) == ["services/web/notes.conf"])
    }

    @Test func anIgnoredFileHoldingTheTargetsBytesIsStillNamed() throws {
        let (fixture, repo, target) = try fixture()
        defer { fixture.remove() }
        // The target starts tracking an ignored path: a rollback would delete the operator's file again.
        try GitFixture.write("from git\n", to: "services/web/ignored.conf", in: fixture.clone)

        #expect(try repo.checkoutConflicts(for: target).map(\.path) == ["services/web/ignored.conf"])
    }
}
