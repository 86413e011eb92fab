import Foundation
import Git
import ReconcilerTesting
import Testing

@Suite struct WorkTreeTests {
    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
    private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// A `.env` counts as tracked when it is staged, and still when it was removed from the index but HEAD has it.
    @Test func trackedEnvFilesAreTheIndexsAndHEADs() throws {
        let fixture = try GitFixture.make(files: [
            "services/plex/.env": "TOKEN=x\n", "services/plex/compose.yml": "v1\n",
        ])
        defer { fixture.remove() }
        let clone = fixture.clone
        let repo = try Repository(at: clone)
        #expect(try repo.trackedPaths(named: ".env") == ["services/plex/.env"])
        // Untracked from the index only (`git rm --cached`): HEAD, the commit deployed, still holds it.
        try GitFixture.git(["rm", "--quiet", "--cached", "services/plex/.env"], in: clone)
        #expect(try repo.trackedPaths(named: ".env") == ["services/plex/.env"])
        // Staged but never committed.
        try GitFixture.write("A=1\n", to: ".env", in: clone)
        try GitFixture.git(["add", "-f", ".env"], in: clone)
        #expect(try repo.trackedPaths(named: ".env") == [".env", "services/plex/.env"])
        #expect(try repo.trackedPaths(named: "compose.yml") == ["services/plex/compose.yml"])
    }

    @Test func checkoutKeepsIgnoredAndUntrackedFilesAndDetachesHead() throws {
        let fixture = try GitFixture.make(files: [
            ".gitignore": ".env\n",
            "services/plex/compose.yml": "v1\n",
            "services/plex/.env.example": "TZ=\n",
            "services/old/compose.yml": "old\n",
        ])
        defer { fixture.remove() }
        let clone = fixture.clone
        try GitFixture.write("TZ=Europe/Berlin\n", to: "services/plex/.env", in: clone)
        try GitFixture.write("scratch\n", to: "notes.txt", in: clone)
        try GitFixture.write("local state\n", to: "services/old/data.txt", in: clone)
        let target = try fixture.commit(files: ["services/plex/compose.yml": "v2\n", "services/old/compose.yml": nil])

        let repo = try Repository(at: clone)
        let fetched = try repo.fetch(
            remote: "origin",
            branch: "main",
            credentials: Credentials(),
            timeout: .seconds(20)
        )
        #expect(fetched.hex == target)
        try repo.checkout(fetched)

        #expect(try read("\(clone)/services/plex/compose.yml") == "v2\n")
        #expect(!exists("\(clone)/services/old/compose.yml"))
        #expect(try read("\(clone)/services/plex/.env") == "TZ=Europe/Berlin\n")
        #expect(try read("\(clone)/notes.txt") == "scratch\n")
        #expect(try read("\(clone)/services/old/data.txt") == "local state\n")
        #expect(try repo.head()?.id == fetched)
        // Detached: HEAD names the commit, not a branch.
        let head = try String(contentsOfFile: "\(clone)/.git/HEAD", encoding: .utf8)
        #expect(head.trimmingCharacters(in: .whitespacesAndNewlines) == target)
        #expect(try repo.modifiedTrackedFiles().isEmpty)
    }

    @Test func checkoutBackToAnOlderCommitRestoresDeletedFiles() throws {
        let fixture = try GitFixture.make(files: ["a.txt": "a\n", "b.txt": "b\n"])
        defer { fixture.remove() }
        let old = ObjectID(hex: try fixture.remoteHead())
        let new = ObjectID(hex: try fixture.commit(files: ["b.txt": nil, "c.txt": "c\n"]))
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        try repo.checkout(new)
        #expect(!exists("\(fixture.clone)/b.txt"))
        #expect(exists("\(fixture.clone)/c.txt"))
        try repo.checkout(old)
        #expect(exists("\(fixture.clone)/b.txt"))
        #expect(!exists("\(fixture.clone)/c.txt"))
        #expect(try repo.head()?.id == old)
    }

    @Test func checkoutOverwritesLocalEditsToTrackedFiles() throws {
        let fixture = try GitFixture.make(files: ["a.txt": "a\n"])
        defer { fixture.remove() }
        let head = try #require(try Repository(at: fixture.clone).head()).id
        try GitFixture.write("edited\n", to: "a.txt", in: fixture.clone)
        let repo = try Repository(at: fixture.clone)
        #expect(try repo.modifiedTrackedFiles() == ["a.txt"])
        try repo.checkout(head)
        #expect(try read("\(fixture.clone)/a.txt") == "a\n")
        #expect(try repo.modifiedTrackedFiles().isEmpty)
    }

    @Test func driftListsTrackedChangesOnly() throws {
        let fixture = try GitFixture.make(files: [
            ".gitignore": ".env\n",
            "services/plex/compose.yml": "v1\n",
            "services/sonarr/compose.yml": "v1\n",
            "run.sh": "echo\n",
            "README.md": "r\n",
        ])
        defer { fixture.remove() }
        let clone = fixture.clone
        let repo = try Repository(at: clone)
        #expect(try repo.modifiedTrackedFiles().isEmpty)

        try GitFixture.write("v1 edited\n", to: "services/plex/compose.yml", in: clone)
        try FileManager.default.removeItem(atPath: "\(clone)/services/sonarr/compose.yml")
        try FileManager.default.removeItem(atPath: "\(clone)/README.md")
        try FileManager.default.createSymbolicLink(atPath: "\(clone)/README.md", withDestinationPath: "run.sh")
        try GitFixture.write("SECRET=1\n", to: "services/plex/.env", in: clone)
        try GitFixture.write("new\n", to: "untracked.txt", in: clone)
        #expect(
            try repo.modifiedTrackedFiles() == [
                "README.md", "services/plex/compose.yml", "services/sonarr/compose.yml",
            ]
        )
    }

    @Test func stagedChangesAreDrift() throws {
        let fixture = try GitFixture.make(files: ["a.txt": "a\n"])
        defer { fixture.remove() }
        try GitFixture.write("b\n", to: "b.txt", in: fixture.clone)
        let repo = try Repository(at: fixture.clone)
        #expect(try repo.modifiedTrackedFiles().isEmpty)
        try fixture.gitInClone(["add", "b.txt"])
        #expect(try repo.modifiedTrackedFiles() == ["b.txt"])
    }

    @Test func touchedButUnchangedFileIsNoDrift() throws {
        let fixture = try GitFixture.make(files: ["a.txt": "a\n"])
        defer { fixture.remove() }
        try GitFixture.write("a\n", to: "a.txt", in: fixture.clone)
        #expect(try Repository(at: fixture.clone).modifiedTrackedFiles().isEmpty)
    }
}
