import Foundation
import Git
import ReconcilerTesting
import Testing

@Suite struct DiffTests {
    @Test func addedModifiedDeletedAndRenamed() throws {
        let fixture = try GitFixture.make(files: [
            "services/plex/compose.yml": "services:\n  plex:\n    image: plex\n",
            "services/sonarr/shows/compose.yml": "services: {}\n",
            "docs/old-name.md": String(repeating: "a line of documentation\n", count: 20),
            "README.md": "readme\n",
        ])
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let from = try fixture.remoteHead()
        _ = try fixture.commit(files: [
            "services/plex/compose.yml": "services:\n  plex:\n    image: plex:latest\n",
            "services/radarr/compose.yml": "services:\n  radarr:\n    image: radarr\n",
            "services/sonarr/shows/compose.yml": nil,
        ])
        let to = try fixture.rename("docs/old-name.md", to: "docs/guide/new-name.md")
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))

        let changes = try repo.diff(from: ObjectID(hex: from), to: ObjectID(hex: to))
        #expect(
            changes == [
                .renamed(from: "docs/old-name.md", to: "docs/guide/new-name.md"),
                .modified("services/plex/compose.yml"),
                .added("services/radarr/compose.yml"),
                .deleted("services/sonarr/shows/compose.yml"),
            ]
        )
        #expect(changes.flatMap(\.paths).contains("docs/old-name.md"))
    }

    @Test func identicalContentMovedBetweenDirectoriesIsARename() throws {
        // git's rename detection does not care about directories: both paths are in `paths`.
        let fixture = try GitFixture.make(files: ["services/sonarr/shows/compose.yml": "services: {}\n"])
        defer { fixture.remove() }
        let from = try fixture.remoteHead()
        let to = try fixture.commit(files: [
            "services/sonarr/shows/compose.yml": nil, "services/radarr/compose.yml": "services: {}\n",
        ])
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        let changes = try repo.diff(from: ObjectID(hex: from), to: ObjectID(hex: to))
        #expect(changes == [.renamed(from: "services/sonarr/shows/compose.yml", to: "services/radarr/compose.yml")])
        #expect(Set(changes.flatMap(\.paths)) == ["services/sonarr/shows/compose.yml", "services/radarr/compose.yml"])
    }

    @Test func fromNothingListsEveryFileAsAdded() throws {
        let fixture = try GitFixture.make(files: ["b.txt": "b\n", "a/x.txt": "x\n"])
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let head = try #require(try repo.head()).id
        #expect(try repo.diff(from: nil, to: head) == [.added("a/x.txt"), .added("b.txt")])
        #expect(try repo.diff(from: head, to: head).isEmpty)
    }

    @Test func aCommitBackToTheSameTreeHasNoChangesButTheStepsBetweenDo() throws {
        let fixture = try GitFixture.make(files: ["services/plex/compose.yml": "services: {}\n"])
        defer { fixture.remove() }
        let first = try fixture.remoteHead()
        let changed = try fixture.commit(files: ["services/plex/compose.yml": "services: { plex: {} }\n"])
        let back = try fixture.commit(files: ["services/plex/compose.yml": "services: {}\n"])
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(try repo.diff(from: ObjectID(hex: first), to: ObjectID(hex: back)).isEmpty)
        #expect(
            try repo.diff(from: ObjectID(hex: first), to: ObjectID(hex: changed)) == [
                .modified("services/plex/compose.yml")
            ]
        )
        #expect(
            try repo.diff(from: ObjectID(hex: changed), to: ObjectID(hex: back)) == [
                .modified("services/plex/compose.yml")
            ]
        )
    }

    @Test func typeChangeAndModeChangeAreModified() throws {
        let fixture = try GitFixture.make(files: ["link": "plain\n", "run.sh": "echo\n"])
        defer { fixture.remove() }
        let from = try fixture.remoteHead()
        let to = try fixture.commit(["link": .symlink(to: "run.sh"), "run.sh": .executable("echo\n")])
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(
            try repo.diff(from: ObjectID(hex: from), to: ObjectID(hex: to)) == [.modified("link"), .modified("run.sh")]
        )
    }

    @Test func unknownCommitIsABadRevision() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let error = try #require(throws: GitError.self) {
            try repo.diff(from: nil, to: ObjectID(hex: String(repeating: "ab", count: 20)))
        }
        #expect(error.code == .badRevision)
        let malformed = try #require(throws: GitError.self) { try repo.diff(from: nil, to: ObjectID(hex: "abc")) }
        #expect(malformed.code == .badRevision)
    }
}
