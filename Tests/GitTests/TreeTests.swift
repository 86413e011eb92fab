import Foundation
import Git
import ReconcilerTesting
import Testing

@Suite struct TreeTests {
    @Test func contentsAtACommit() throws {
        let fixture = try GitFixture.make(files: ["services/plex/compose.yml": "v1\n", "empty": ""])
        defer { fixture.remove() }
        let first = ObjectID(hex: try fixture.remoteHead())
        let second = ObjectID(hex: try fixture.commit(files: ["services/plex/compose.yml": "v2\n"]))
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(try repo.contents(of: "services/plex/compose.yml", at: first) == Data("v1\n".utf8))
        #expect(try repo.contents(of: "services/plex/compose.yml", at: second) == Data("v2\n".utf8))
        #expect(try repo.contents(of: "empty", at: second) == Data())
        #expect(try repo.contents(of: "services/plex/missing.yml", at: second) == nil)
        #expect(try repo.contents(of: "nowhere/at/all", at: second) == nil)
        // A directory is not a file.
        #expect(try repo.contents(of: "services/plex", at: second) == nil)
    }

    @Test func treeEntriesKinds() throws {
        let fixture = try GitFixture.make(files: ["README.md": "r\n"])
        defer { fixture.remove() }
        // A gitlink entry, as `git submodule add` would leave, without needing a second repository to clone.
        let sub = try fixture.remoteHead()
        try fixture.commit([
            "bin/deploy.sh": .executable("#!/bin/sh\n"),
            "services/plex/compose.yml": .write("services: {}\n"),
            "services/current": .symlink(to: "plex"),
        ])
        // Committed without `add --all`, which would drop the gitlink that has no directory behind it.
        try GitFixture.git(["update-index", "--add", "--cacheinfo", "160000,\(sub),vendor/lib"], in: fixture.author)
        try GitFixture.git(["commit", "--quiet", "-m", "submodule"], in: fixture.author)
        try GitFixture.git(["push", "--quiet", "origin", "HEAD:refs/heads/main"], in: fixture.author)
        let head = try fixture.remoteHead()
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        let entries = try repo.treeEntries(at: ObjectID(hex: head))
        #expect(
            entries == [
                TreeEntry(path: "README.md", kind: .file),
                TreeEntry(path: "bin/deploy.sh", kind: .executable),
                TreeEntry(path: "services/current", kind: .symlink),
                TreeEntry(path: "services/plex/compose.yml", kind: .file),
                TreeEntry(path: "vendor/lib", kind: .submodule),
            ]
        )
        #expect(try repo.symlinkTarget(of: "services/current", at: ObjectID(hex: head)) == "plex")
        #expect(try repo.symlinkTarget(of: "README.md", at: ObjectID(hex: head)) == nil)
        #expect(try repo.symlinkTarget(of: "missing", at: ObjectID(hex: head)) == nil)
        #expect(try repo.contents(of: "vendor/lib", at: ObjectID(hex: head)) == nil)
    }

    /// The listing cache: a second read of a commit is the same listing, a changed subtree is read anew, and more
    /// commits than the cache holds are each listed right.
    @Test func treeEntriesCachedByCommit() throws {
        let fixture = try GitFixture.make(files: [
            "services/plex/compose.yml": "v1\n", "services/web/compose.yml": "w\n",
        ])
        defer { fixture.remove() }
        var heads = [try fixture.remoteHead()]
        heads.append(try fixture.commit(files: ["services/plex/config/new.conf": "n\n"]))
        for round in 1...5 { heads.append(try fixture.commit(files: ["services/web/v\(round).txt": "\(round)\n"])) }
        let cached = try Repository(at: fixture.clone)
        _ = try cached.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        for _ in 0..<2 {
            for head in heads {
                // A fresh handle has nothing cached: it is the uncached listing.
                let fresh = try Repository(at: fixture.clone)
                #expect(try cached.treeEntries(at: ObjectID(hex: head)) == fresh.treeEntries(at: ObjectID(hex: head)))
            }
        }
        let first = try cached.treeEntries(at: ObjectID(hex: heads[0])).map(\.path)
        let second = try cached.treeEntries(at: ObjectID(hex: heads[1])).map(\.path)
        #expect(first == ["services/plex/compose.yml", "services/web/compose.yml"])
        #expect(second == ["services/plex/compose.yml", "services/plex/config/new.conf", "services/web/compose.yml"])
    }
}
