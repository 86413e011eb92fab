import Foundation
import Git
import ReconcilerTesting
import Testing

/// Checkout never destroys what the operator keeps in the work tree: `checkoutConflicts(for:)` names every path
/// of the target that would replace an untracked or ignored file or directory, before anything is written.
@Suite struct CheckoutSafetyTests {
    private func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// A fixture whose work tree has an operator's ignored `.env` and ignored `data/` directory under plex.
    private func homelab() throws -> GitFixture {
        let fixture = try GitFixture.make(files: [
            ".gitignore": ".env\ndata/\n",
            "services/plex/compose.yml": "v1\n",
        ])
        try GitFixture.write("PLEX_CLAIM=claim-secret-1234\n", to: "services/plex/.env", in: fixture.clone)
        try GitFixture.write("precious rows\n", to: "services/plex/data/library.db", in: fixture.clone)
        return fixture
    }

    /// Commits `files` in the author clone with `git add --force` (so ignored paths are tracked) and pushes.
    private func forceCommit(
        _ fixture: GitFixture,
        _ files: [String: String],
        removing: [String] = []
    ) throws
        -> ObjectID
    {
        for path in removing {
            try GitFixture.git(["rm", "-r", "--quiet", "--cached", path], in: fixture.author)
            try FileManager.default.removeItem(atPath: "\(fixture.author)/\(path)")
        }
        for (path, content) in files {
            try GitFixture.write(content, to: path, in: fixture.author)
            try GitFixture.git(["add", "--force", path], in: fixture.author)
        }
        try GitFixture.git(["commit", "--quiet", "-m", "force"], in: fixture.author)
        try GitFixture.git(["push", "--quiet", "origin", "HEAD:refs/heads/main"], in: fixture.author)
        return ObjectID(hex: try GitFixture.git(["rev-parse", "HEAD"], in: fixture.author))
    }

    private func fetched(_ fixture: GitFixture) throws -> Repository {
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        return repo
    }

    @Test func ignoredEnvThatTheCommitStartsTrackingIsNamedAndNotOverwritten() throws {
        let fixture = try homelab()
        defer { fixture.remove() }
        let target = try forceCommit(fixture, ["services/plex/.env": "PLEX_CLAIM=from-git\n"])
        let repo = try fetched(fixture)

        let conflicts = try repo.checkoutConflicts(for: target)
        #expect(
            conflicts == [CheckoutConflict(path: "services/plex/.env", existing: .file, ignored: true, incoming: .file)]
        )
        #expect(
            conflicts.map(\.description) == [
                "services/plex/.env: an ignored file in the work tree would be overwritten by the commit's file"
            ]
        )
        #expect(try repo.trackedEnvFiles(at: target) == ["services/plex/.env"])

        // With FORCE alone (the old strategy) this checkout wrote "from-git" over the operator's secret.
        #expect(throws: GitError.self) { try repo.checkout(target) }
        #expect(read("\(fixture.clone)/services/plex/.env") == "PLEX_CLAIM=claim-secret-1234\n")
    }

    @Test func ignoredDirectoryThatTheCommitReplacesWithAFileIsNamedAndKept() throws {
        let fixture = try homelab()
        defer { fixture.remove() }
        let target = try forceCommit(fixture, ["services/plex/data": "now a file\n"])
        let repo = try fetched(fixture)

        let conflicts = try repo.checkoutConflicts(for: target)
        #expect(
            conflicts == [
                CheckoutConflict(
                    path: "services/plex/data",
                    existing: .directory(untracked: ["services/plex/data/library.db"]),
                    ignored: true,
                    incoming: .file
                )
            ]
        )
        #expect(conflicts.first?.description.hasPrefix("services/plex/data/: a directory holding 1 untracked") == true)

        // With FORCE alone the checkout deleted data/ and its database.
        #expect(throws: GitError.self) { try repo.checkout(target) }
        #expect(read("\(fixture.clone)/services/plex/data/library.db") == "precious rows\n")
    }

    @Test func untrackedFileThatTheCommitReplacesWithADirectoryIsNamed() throws {
        let fixture = try homelab()
        defer { fixture.remove() }
        try GitFixture.write("operator notes\n", to: "services/plex/config", in: fixture.clone)
        let target = try fixture.commit(files: ["services/plex/config/settings.yml": "a: 1\n"])
        let repo = try fetched(fixture)

        let conflicts = try repo.checkoutConflicts(for: ObjectID(hex: target))
        #expect(
            conflicts == [
                CheckoutConflict(path: "services/plex/config", existing: .file, ignored: false, incoming: .directory)
            ]
        )
        #expect(
            conflicts.first?.description
                == "services/plex/config: an untracked file in the work tree would be deleted and replaced by the "
                + "commit's directory"
        )
    }

    @Test func untrackedFileAtANewPathOfTheCommitIsNamed() throws {
        let fixture = try homelab()
        defer { fixture.remove() }
        try GitFixture.write("hand-made\n", to: "services/sonarr/compose.yml", in: fixture.clone)
        let target = try fixture.commit(files: ["services/sonarr/compose.yml": "services: {}\n"])
        let repo = try fetched(fixture)
        #expect(try repo.checkoutConflicts(for: ObjectID(hex: target)).map(\.path) == ["services/sonarr/compose.yml"])
    }

    @Test func anOrdinaryUpdateHasNoConflictsAndKeepsEverything() throws {
        let fixture = try homelab()
        defer { fixture.remove() }
        // A tracked directory turned into a file is fine when it holds only tracked files.
        try fixture.commit(files: ["services/old/a.yml": "a\n", "services/old/b.yml": "b\n"])
        let repo = try fetched(fixture)
        try repo.checkout(ObjectID(hex: try fixture.remoteHead()))
        let target = try fixture.commit(files: [
            "services/plex/compose.yml": "v2\n", "services/old/a.yml": nil, "services/old/b.yml": nil,
            "services/old": "now a file\n",
        ])
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))

        #expect(try repo.checkoutConflicts(for: ObjectID(hex: target)).isEmpty)
        #expect(try repo.trackedEnvFiles(at: ObjectID(hex: target)).isEmpty)
        try repo.checkout(ObjectID(hex: target))
        #expect(read("\(fixture.clone)/services/plex/compose.yml") == "v2\n")
        #expect(read("\(fixture.clone)/services/old") == "now a file\n")
        #expect(read("\(fixture.clone)/services/plex/.env") == "PLEX_CLAIM=claim-secret-1234\n")
        #expect(read("\(fixture.clone)/services/plex/data/library.db") == "precious rows\n")
    }

    @Test func rollbackToACommitThatTracksTheEnvWouldNotDeleteIt() throws {
        // The commit that starts tracking .env was refused; a rollback from a commit that tracks it to one that
        // does not would delete it: checked the same way, from the other side.
        let fixture = try homelab()
        defer { fixture.remove() }
        let base = ObjectID(hex: try fixture.remoteHead())
        let tracked = try forceCommit(fixture, ["services/plex/.env": "PLEX_CLAIM=from-git\n"])
        let repo = try fetched(fixture)
        #expect(try repo.checkoutConflicts(for: base).isEmpty)
        #expect(try repo.checkoutConflicts(for: tracked).map(\.path) == ["services/plex/.env"])
    }

    @Test func envFilesAreFoundAtAnyDepth() throws {
        let fixture = try GitFixture.make(files: ["README.md": "x\n"])
        defer { fixture.remove() }
        let target = try forceCommit(
            fixture,
            [".env": "A=1\n", "services/a/b/.env": "B=2\n", "services/a/.env.example": "B=\n", "x.env": "\n"]
        )
        let repo = try fetched(fixture)
        #expect(try repo.trackedEnvFiles(at: target) == [".env", "services/a/b/.env"])
    }
}
