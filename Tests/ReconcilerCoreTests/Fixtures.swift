import Foundation
import Git
import ReconcilerCore

/// The seed's homelab as a tree: NixOS, single- and multi-instance services, a directory that is a unit
/// and holds instances (monitoring), and a unit with a deep Compose file (app).
let seedPaths = [
    ".gitignore", "README.md", "reconciler.json", "docs/setup.md", "Sources/reconciler/main.swift",
    "nixos/flake.nix", "nixos/configuration.nix", "nixos/modules/default.nix",
    "nixos/modules/services/plex/user.nix", "nixos/modules/services/sonarr/user.nix",
    "nixos/modules/groups/media/media.nix",
    "services/README.template.md",
    "services/gluetun/compose.yml", "services/gluetun/.env.example",
    "services/pihole/compose.yml",
    "services/prowlarr/compose.yml", "services/deluge/compose.yml", "services/tdarr/compose.yml",
    "services/profilarr/compose.yml", "services/overseerr/compose.yml",
    "services/plex/compose.yml", "services/plex/.env.example", "services/plex/README.md",
    "services/sonarr/.env.example", "services/sonarr/README.md",
    "services/sonarr/shows/compose.yml", "services/sonarr/shows/.env.example",
    "services/sonarr/anime/compose.yml", "services/sonarr/anime/.env.example",
    "services/radarr/movies/compose.yml", "services/radarr/anime/compose.yml",
    "services/monitoring/compose.yml", "services/monitoring/prometheus.yml",
    "services/monitoring/node-exporter/compose.yml",
    "services/app/compose.yml", "services/app/tests/e2e/compose.yml",
]

let seedIDs = [
    "app", "deluge", "gluetun", "monitoring", "monitoring/node-exporter", "overseerr", "pihole", "plex",
    "profilarr", "prowlarr", "radarr/anime", "radarr/movies", "sonarr/anime", "sonarr/shows", "tdarr",
]

func files(_ paths: [String]) -> [TreeEntry] {
    paths.map { TreeEntry(path: $0, kind: .file) }
}

/// Discovers units from plain files (no symlinks), with the default roots unless given.
func discover(
    _ entries: [TreeEntry],
    servicesRoot: String = "services",
    systemRoot: String = "nixos",
    symlinks: [String: String] = [:]
) throws(UnitError) -> UnitSet {
    try UnitDiscovery.discover(
        entries: entries,
        servicesRoot: servicesRoot,
        systemRoot: systemRoot,
        symlinkTarget: { symlinks[$0] }
    )
}

func seedUnits() throws -> UnitSet {
    try discover(files(seedPaths))
}

/// The contract's example reconciler.json, with a real notify URL.
let contractExampleJSON = #"""
    {
      "remote": "origin",
      "branch": "main",
      "pollInterval": "60s",
      "stateDir": "/var/lib/reconciler",
      "system": {
        "root": "nixos",
        "switch": ["nixos-rebuild", "switch", "--flake", "./nixos#homelab-hl15"],
        "check":  ["nixos-rebuild", "dry-build", "--flake", "./nixos#homelab-hl15"]
      },
      "services": {
        "root": "services",
        "compose": ["docker", "compose"],
        "healthTimeout": "120s",
        "parallelism": 4
      },
      "units": {
        "prowlarr":     { "dependsOn": ["gluetun"] },
        "sonarr/shows": { "dependsOn": ["prowlarr", "tdarr", "profilarr"] }
      },
      "groups": { "media": ["plex", "sonarr/shows", "sonarr/anime", "radarr/movies", "radarr/anime", "overseerr"] },
      "webhook": { "listen": "127.0.0.1:9876", "secretFile": "/var/lib/reconciler/webhook.secret" },
      "notify": [ { "url": "https://discord.com/api/webhooks/123/abc", "format": "discord" } ]
    }
    """#

func decode(_ json: String) throws(ConfigError) -> Config {
    try Config.decode(Data(json.utf8), source: "reconciler.json")
}

/// The error `body` throws, or nil when it does not throw.
func configError(_ body: () throws(ConfigError) -> some Any) -> ConfigError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

func unitError(_ body: () throws(UnitError) -> some Any) -> UnitError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
