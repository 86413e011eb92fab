import Foundation
import GRDB
import Git
import ReconcilerCore
import ReconcilerTesting
import Testing

/// Unit discovery by service directory, cached by the directory's tree id: the same units as discovery over the
/// commit's full listing, whether the cache is cold, warm, or read back from the state database.
@Suite(.serialized) struct DiscoveryCacheTests {
    /// A homelab with the shapes discovery cares about: single and multi-instance services, a service with its own
    /// Compose file and instances, a Compose file deeper down, a parked directory, a Compose file that is a link.
    private static let homelab: [String: GitFixture.FileChange] = [
        "nixos/configuration.nix": .write("{ }\n"),
        "services/plex/compose.yml": .write("services: {}\n"),
        "services/sonarr/compose.base.yml": .write("services: {}\n"),
        "services/sonarr/shows/compose.yml": .write("services: {}\n"),
        "services/sonarr/anime/compose.yaml": .write("services: {}\n"),
        "services/radarr/anime/compose.yml": .write("services: {}\n"),
        "services/radarr/movies/docker-compose.yml": .write("services: {}\n"),
        "services/monitoring/compose.yml": .write("services: {}\n"),
        "services/monitoring/node-exporter/compose.yml": .write("services: {}\n"),
        "services/app/compose.yml": .write("services: {}\n"),
        "services/app/tests/e2e/compose.yml": .write("services: {}\n"),
        "services/.parked/compose.yml": .write("services: {}\n"),
        "services/shared/compose.real.yml": .write("services: {}\n"),
        "services/shared/compose.yml": .symlink(to: "compose.real.yml"),
        "services/README.md": .write("services\n"),
    ]

    private struct Lab {
        let fixture: GitFixture
        let repo: Repository
        let state: TemporaryDirectory
        /// Every commit, oldest first.
        let commits: [ObjectID]

        func remove() {
            fixture.remove()
            state.remove()
        }

        /// Discovery over the commit's full listing, as it was before the cache: the reference.
        func full(_ commit: ObjectID) throws -> UnitSet {
            let repo = try Repository(at: fixture.clone)
            return try UnitDiscovery.discover(
                entries: repo.treeEntries(at: commit),
                servicesRoot: "services",
                systemRoot: "nixos",
                symlinkTarget: { try repo.symlinkTarget(of: $0, at: commit) }
            )
        }

        func cached(_ commit: ObjectID, _ cache: DiscoveryCache) throws -> UnitSet {
            try UnitDiscovery.discover(
                commit: commit,
                in: repo,
                servicesRoot: "services",
                systemRoot: "nixos",
                cache: cache
            )
        }
    }

    /// The homelab, then: a directory rename (radarr/anime → radarr/films), a new instance, plex's Compose file
    /// renamed to compose.yaml (its directory's tree id changes), the system removed, and a move of a whole service.
    private func makeLab() throws -> Lab {
        let fixture = try GitFixture.make()
        var commits = [try fixture.commit(Self.homelab, message: "homelab")]
        commits.append(try fixture.rename("services/radarr/anime", to: "services/radarr/films"))
        commits.append(try fixture.commit(files: ["services/sonarr/kids/compose.yml": "services: {}\n"]))
        commits.append(
            try fixture.commit([
                "services/plex/compose.yml": .delete, "services/plex/compose.yaml": .write("services: {}\n"),
            ])
        )
        commits.append(try fixture.commit(files: ["nixos/configuration.nix": nil]))
        commits.append(try fixture.rename("services/monitoring", to: "services/observability"))
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        return Lab(
            fixture: fixture,
            repo: repo,
            state: try TemporaryDirectory(prefix: "discovery-state"),
            commits: commits.map { ObjectID(hex: $0) }
        )
    }

    @Test func cachedDiscoveryGivesTheSameUnitsAsAColdOneThroughRenamesAndInstances() throws {
        let lab = try makeLab()
        defer { lab.remove() }
        let warm = DiscoveryCache(store: nil)
        // Newest first, then oldest first: the warm cache has seen every directory of every commit the second time.
        for commit in lab.commits.reversed() + lab.commits {
            let reference = try lab.full(commit)
            #expect(try lab.cached(commit, DiscoveryCache(store: nil)) == reference, "cold, \(commit.short)")
            #expect(try lab.cached(commit, warm) == reference, "warm, \(commit.short)")
        }
        let first = try lab.cached(lab.commits[0], warm)
        #expect(
            first.ids == [
                "app", "monitoring", "monitoring/node-exporter", "plex", "radarr/anime", "radarr/movies", "shared",
                "sonarr/anime", "sonarr/shows",
            ]
        )
        #expect(first.hasSystem)
        #expect(first["radarr/movies"]?.composeFile == "docker-compose.yml")
        #expect(first["sonarr/anime"]?.composeFile == "compose.yaml")
        #expect(first["sonarr/anime"]?.projectName == "sonarr-anime")
        let renamed = try lab.cached(lab.commits[1], warm)
        #expect(renamed.contains("radarr/films") && !renamed.contains("radarr/anime"))
        #expect(
            try lab.cached(lab.commits[2], warm).instances(of: "sonarr") == [
                "sonarr/anime", "sonarr/kids", "sonarr/shows",
            ]
        )
        #expect(try !lab.cached(lab.commits[4], warm).hasSystem)
        let moved = try lab.cached(lab.commits[5], warm)
        #expect(moved.instances(of: "observability") == ["observability", "observability/node-exporter"])
        #expect(moved.instances(of: "monitoring").isEmpty)
    }

    @Test func aChangedServiceDirectoryIsReadAgainAndAnUnchangedOneIsNot() throws {
        let lab = try makeLab()
        defer { lab.remove() }
        let cache = DiscoveryCache(store: nil)
        let before = try lab.cached(lab.commits[2], cache)
        // app, monitoring, plex, radarr, shared, sonarr, and .parked (discovery decides it is parked), which holds
        // the same file as plex: one tree id, one entry (the listing has no directory name in it).
        let directories = cache.memoryCount
        #expect(directories == 6)
        #expect(before["plex"]?.composeFile == "compose.yml")

        // Only plex changed: one more directory read (the list of service directories, plex's directory, and
        // whether there is a system: three tree reads), and its new Compose file is seen.
        let reads = lab.repo.treeReads.load(ordering: .relaxed)
        let after = try lab.cached(lab.commits[3], cache)
        #expect(lab.repo.treeReads.load(ordering: .relaxed) - reads == 3)
        #expect(cache.memoryCount == directories + 1)
        #expect(after["plex"]?.composeFile == "compose.yaml")
        #expect(after == (try lab.full(lab.commits[3])))
        // The same commit again reads no tree at all.
        let again = lab.repo.treeReads.load(ordering: .relaxed)
        #expect(try lab.cached(lab.commits[3], cache) == after)
        #expect(lab.repo.treeReads.load(ordering: .relaxed) == again)
        #expect(cache.memoryCount == directories + 1)
    }

    @Test func aOneShotCommandReadsTheListingsBackFromTheStateDatabase() throws {
        let lab = try makeLab()
        defer { lab.remove() }
        let commit = lab.commits[2]
        let first = try StateStore(directory: lab.state.path)
        let units = try lab.cached(commit, DiscoveryCache(store: first))
        #expect(try first.discoveryCacheCount() == 6)
        #expect(try first.commitUnitsCount() == 1)

        // The next process, the same commit: its whole unit set is one row; no tree is read.
        let second = try StateStore(directory: lab.state.path)
        let cache = DiscoveryCache(store: second)
        #expect(cache.memoryCount == 0)
        let reads = lab.repo.treeReads.load(ordering: .relaxed)
        #expect(try lab.cached(commit, cache) == units)
        #expect(lab.repo.treeReads.load(ordering: .relaxed) == reads)
        #expect(units == (try lab.full(commit)))

        // Another process, a commit it has not seen (only plex changed): the unchanged directories' listings come
        // from the database, plex's directory is read from the tree (the list of directories, plex, the system).
        let third = DiscoveryCache(store: try StateStore(directory: lab.state.path))
        let before = lab.repo.treeReads.load(ordering: .relaxed)
        #expect(try lab.cached(lab.commits[3], third) == (try lab.full(lab.commits[3])))
        #expect(lab.repo.treeReads.load(ordering: .relaxed) - before == 3)
        #expect(third.memoryCount == 7)
        #expect(try second.discoveryCacheCount() == 7)
        #expect(try second.commitUnitsCount() == 2)

        // What is kept is paths of Compose files and unit names, nothing else of the tree.
        let text = try String(contentsOfFile: second.path, encoding: .isoLatin1)
        #expect(text.contains("shows/compose.yml"))
        #expect(!text.contains("compose.base.yml"))
        #expect(!text.contains("configuration.nix"))
    }

    @Test func aCommitsUnitSetReadsBackExactlyAndAnUnreadableRowMeansDiscoveringAgain() throws {
        let lab = try makeLab()
        defer { lab.remove() }
        let store = try StateStore(directory: lab.state.path)
        for commit in lab.commits {
            _ = try lab.cached(commit, DiscoveryCache(store: store))
            // A fresh cache on the same store: the units come from the row alone, equal to a full discovery.
            #expect(try lab.cached(commit, DiscoveryCache(store: store)) == (try lab.full(commit)), "\(commit.short)")
        }
        #expect(try store.commitUnitsCount() == lab.commits.count)

        // A row another build wrote (another format) or damaged: read as absent, the commit discovered again.
        try DatabaseQueue(path: store.path).write { db in
            try db.execute(sql: "UPDATE commitUnits SET units = 'units-v0' || substr(units, 9)")
        }
        let reads = lab.repo.treeReads.load(ordering: .relaxed)
        let cache = DiscoveryCache(store: store)
        #expect(try lab.cached(lab.commits[0], cache) == (try lab.full(lab.commits[0])))
        #expect(lab.repo.treeReads.load(ordering: .relaxed) > reads)
    }

    @Test func aComposeLinkLeavingTheRepositoryIsRefusedWarmOrCold() throws {
        let lab = try makeLab()
        defer { lab.remove() }
        let escaping = ObjectID(
            hex: try lab.fixture.commit([
                "services/evil/compose.yml": .symlink(to: "../../../etc/compose.yml")
            ])
        )
        _ = try lab.repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        let cache = DiscoveryCache(store: nil)
        for _ in 0..<2 {
            do {
                _ = try lab.cached(escaping, cache)
                Issue.record("a Compose link out of the repository was accepted")
            } catch let error as UnitError {
                #expect(error.code == .symlinkEscapes)
                #expect(error.path == "services/evil/compose.yml")
            }
        }
    }
}
