import Foundation
import Git
import ReconcilerCore
import ReconcilerTesting
import Testing

/// This repository's own homelab (reconciler.json, services/, nixos/), as the tests of its content see it.
enum HomelabRepository {
    /// The repository root: three levels above this file (Tests/ReconcilerIntegrationTests/<file>).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The seed Justfile's dependency graph: unit → what it depends on.
    static let seedEdges: [String: Set<String>] = [
        "prowlarr": ["gluetun"], "deluge": ["gluetun"], "tdarr": ["deluge"], "profilarr": ["prowlarr"],
        "sonarr/shows": ["prowlarr", "tdarr", "profilarr"], "sonarr/anime": ["prowlarr", "tdarr", "profilarr"],
        "radarr/movies": ["prowlarr", "tdarr", "profilarr"], "radarr/anime": ["prowlarr", "tdarr", "profilarr"],
        "overseerr": ["sonarr/shows", "sonarr/anime", "radarr/movies", "radarr/anime"], "plex": ["tdarr"],
        "loki": ["alloy"], "prometheus": ["alloy"], "grafana": ["loki", "prometheus"],
    ]

    /// Every service the seed names.
    static let seedUnits: Set<String> = [
        "gluetun", "pihole", "prowlarr", "deluge", "tdarr", "profilarr", "sonarr/shows", "sonarr/anime",
        "radarr/movies", "radarr/anime", "overseerr", "plex", "alloy", "loki", "prometheus", "grafana", "homepage",
        "immich", "nextcloud",
    ]

    static func config() throws -> Config {
        let data = try #require(FileManager.default.contents(atPath: "\(root)/reconciler.json"))
        return try Config.decode(data, source: "reconciler.json")
    }

    /// The units of the work tree, discovered as the reconciler discovers them (from services/ and nixos/ only:
    /// the rest of the checkout, `.build` and the test rig's engine data included, is none of the homelab's).
    static func units(_ config: Config) throws -> UnitSet {
        var entries: [TreeEntry] = []
        for directory in [config.services.root, config.system.root] {
            entries += try UnitDiscovery.workTreeEntries(root: "\(root)/\(directory)").map {
                TreeEntry(path: "\(directory)/\($0.path)", kind: $0.kind)
            }
        }
        return try UnitDiscovery.discover(
            entries: entries,
            servicesRoot: config.services.root,
            systemRoot: config.system.root,
            symlinkTarget: UnitDiscovery.workTreeSymlinkTarget(root: root)
        )
    }

    /// Files under `directory` (relative to the root) whose name ends in `suffix`, sorted.
    static func files(under directory: String, suffix: String) -> [String] {
        let base = "\(root)/\(directory)"
        let all = FileManager.default.enumerator(atPath: base)?.compactMap { $0 as? String } ?? []
        return all.filter { $0.hasSuffix(suffix) }.map { "\(directory)/\($0)" }.sorted()
    }

    /// Copies the homelab's files (not the reconciler's sources) into `destination`.
    static func copyHomelab(to destination: String) throws {
        for item in ["reconciler.json", ".gitignore", "services", "nixos", "Makefile"] {
            try FileManager.default.copyItem(atPath: "\(root)/\(item)", toPath: "\(destination)/\(item)")
        }
        // .env files of whoever runs the tests stay out of the copy.
        let leftovers = files(under: "services", suffix: "/.env")
        for path in leftovers { try? FileManager.default.removeItem(atPath: "\(destination)/\(path)") }
    }
}
