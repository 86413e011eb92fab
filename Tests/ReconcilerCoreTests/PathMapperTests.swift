import Foundation
import Git
import ReconcilerCore
import Testing

@Suite struct PathMapperTests {
    let seed: UnitSet

    init() throws {
        seed = try seedUnits()
    }

    /// The impact of `changes` between two seed trees (or the given ones) under default configs.
    func impact(
        _ changes: [Change],
        old: UnitSet? = nil,
        new: UnitSet? = nil,
        oldConfig: Config? = Config(),
        newConfig: Config = Config(),
        firstDeploy: Bool = false
    ) -> Impact {
        PathMapper.impact(
            changes: changes,
            old: firstDeploy ? nil : (old ?? seed),
            new: new ?? seed,
            oldConfig: oldConfig,
            newConfig: newConfig
        )
    }

    @Test func nixosChangeIsTheSystem() {
        let result = impact([.modified("nixos/configuration.nix"), .added("nixos/modules/groups/media/media.nix")])
        #expect(
            result
                == Impact(
                    system: true,
                    reasons: ["system": ["nixos/configuration.nix", "nixos/modules/groups/media/media.nix"]]
                )
        )
    }

    @Test func nixosServiceModuleIsTheSystemAndEveryUnitOfTheService() {
        let result = impact([.modified("nixos/modules/services/sonarr/user.nix")])
        #expect(result.system)
        #expect(result.units == ["sonarr/anime", "sonarr/shows"])
        #expect(result.reasons["sonarr/shows"] == ["nixos/modules/services/sonarr/user.nix"])
        #expect(impact([.deleted("nixos/modules/services/plex/user.nix")]).units == ["plex"])
        #expect(
            impact([.modified("nixos/modules/services/monitoring/user.nix")]).units
                == ["monitoring", "monitoring/node-exporter"]
        )
    }

    @Test func nixosServiceModuleOfNoUnitOrAtTheTopIsOnlyTheSystem() {
        let unknown = impact([.added("nixos/modules/services/jellyfin/user.nix")])
        #expect(unknown.system && unknown.units.isEmpty)
        let top = impact([.modified("nixos/modules/services/default.nix")])
        #expect(top.system && top.units.isEmpty)
    }

    @Test func fileOfSingleInstanceUnitIsThatUnit() {
        let result = impact([.modified("services/plex/compose.yml"), .added("services/plex/config/prefs.xml")])
        #expect(
            result
                == Impact(
                    units: ["plex"],
                    reasons: ["plex": ["services/plex/compose.yml", "services/plex/config/prefs.xml"]]
                )
        )
    }

    @Test func deepComposeFileOfAUnitIsThatUnit() {
        let result = impact([.modified("services/app/tests/e2e/compose.yml")])
        #expect(result.units == ["app"])
        #expect(!result.system)
    }

    @Test func sharedFileOfMultiInstanceServiceIsEveryInstance() {
        let result = impact([.modified("services/sonarr/.env.example")])
        #expect(result.units == ["sonarr/anime", "sonarr/shows"])
        #expect(
            result.reasons == [
                "sonarr/anime": ["services/sonarr/.env.example"], "sonarr/shows": ["services/sonarr/.env.example"],
            ]
        )
    }

    @Test func sharedDirectoryOfMultiInstanceServiceIsEveryInstance() {
        #expect(impact([.added("services/radarr/common/indexers.yml")]).units == ["radarr/anime", "radarr/movies"])
    }

    @Test func instanceFileIsThatInstance() {
        let result = impact([
            .modified("services/sonarr/shows/compose.yml"), .added("services/radarr/anime/config/x.xml"),
        ])
        #expect(result.units == ["sonarr/shows", "radarr/anime"])
    }

    @Test func directoryThatIsAUnitAndHoldsInstances() {
        #expect(impact([.modified("services/monitoring/prometheus.yml")]).units == ["monitoring"])
        #expect(impact([.modified("services/monitoring/compose.yml")]).units == ["monitoring"])
        #expect(
            impact([.modified("services/monitoring/node-exporter/compose.yml")]).units
                == ["monitoring/node-exporter"]
        )
        #expect(impact([.added("services/monitoring/rules/alerts.yml")]).units == ["monitoring"])
    }

    @Test func newUnitIsApplied() throws {
        let new = try discover(files(seedPaths + ["services/jellyfin/compose.yml"]))
        let result = impact([.added("services/jellyfin/compose.yml")], new: new)
        #expect(result.units == ["jellyfin"])
        #expect(result.pruned.isEmpty)
    }

    @Test func deletedUnitIsPruned() throws {
        let new = try discover(files(seedPaths.filter { !$0.hasPrefix("services/plex/") }))
        let result = impact(
            [
                .deleted("services/plex/compose.yml"), .deleted("services/plex/README.md"),
                .deleted("services/plex/.env.example"),
            ],
            new: new
        )
        #expect(
            result
                == Impact(
                    pruned: ["plex"],
                    reasons: [
                        "plex": ["services/plex/.env.example", "services/plex/README.md", "services/plex/compose.yml"]
                    ]
                )
        )
    }

    @Test func deletingOnlyTheComposeFilePrunesTheUnit() throws {
        let new = try discover(files(seedPaths.filter { $0 != "services/sonarr/anime/compose.yml" }))
        let result = impact([.deleted("services/sonarr/anime/compose.yml")], new: new)
        #expect(result.pruned == ["sonarr/anime"])
        #expect(result.units.isEmpty)
    }

    @Test func deletedFileOfARemainingUnitAppliesIt() {
        #expect(impact([.deleted("services/plex/README.md")]).units == ["plex"])
    }

    @Test func renameAcrossUnitsTouchesBoth() {
        let result = impact([.renamed(from: "services/plex/extra.yml", to: "services/gluetun/extra.yml")])
        #expect(result.units == ["gluetun", "plex"])
        #expect(result.reasons["plex"] == ["services/plex/extra.yml"])
        #expect(result.reasons["gluetun"] == ["services/gluetun/extra.yml"])
    }

    @Test func renamedUnitDirectoryPrunesTheOldAndAppliesTheNew() throws {
        let new = try discover(
            files(seedPaths.map { $0.replacingOccurrences(of: "services/plex/", with: "services/jellyfin/") })
        )
        let result = impact(
            [
                .renamed(from: "services/plex/compose.yml", to: "services/jellyfin/compose.yml"),
                .renamed(from: "services/plex/README.md", to: "services/jellyfin/README.md"),
            ],
            new: new
        )
        #expect(result.units == ["jellyfin"])
        #expect(result.pruned == ["plex"])
        #expect(result.reasons["plex"] == ["services/plex/README.md", "services/plex/compose.yml"])
    }

    @Test func caseOnlyRenameKeepsTheProjectInsteadOfPruning() throws {
        let old = try discover(files(["services/AI/compose.yml"]))
        let new = try discover(files(["services/ai/compose.yml"]))
        let result = impact(
            [.renamed(from: "services/AI/compose.yml", to: "services/ai/compose.yml")],
            old: old,
            new: new
        )
        #expect(result.units == ["ai"])
        #expect(result.pruned.isEmpty)
        #expect(result.reasons.keys.sorted() == ["ai"])
    }

    @Test func singleInstanceBecomingMultiInstancePrunesTheOldUnit() throws {
        let old = try discover(files(["services/lidarr/compose.yml"]))
        let new = try discover(files(["services/lidarr/music/compose.yml", "services/lidarr/audiobooks/compose.yml"]))
        let result = impact(
            [
                .renamed(from: "services/lidarr/compose.yml", to: "services/lidarr/music/compose.yml"),
                .added("services/lidarr/audiobooks/compose.yml"),
            ],
            old: old,
            new: new
        )
        #expect(result.units == ["lidarr/audiobooks", "lidarr/music"])
        #expect(result.pruned == ["lidarr"])
    }

    @Test func unrelatedPathsAreIgnored() {
        let result = impact([
            .modified("docs/setup.md"), .modified("README.md"), .added("Sources/reconciler/main.swift"),
            .modified("services/README.template.md"), .added("services/compose.yml"), .modified("Makefile"),
            .added("services/notes/todo.md"), .added("nixosx/flake.nix"),
        ])
        #expect(result.isEmpty)
        #expect(result.reasons.isEmpty)
        #expect(
            result.ignoredPaths == [
                "Makefile", "README.md", "Sources/reconciler/main.swift", "docs/setup.md", "nixosx/flake.nix",
                "services/README.template.md", "services/compose.yml", "services/notes/todo.md",
            ]
        )
    }

    @Test func mixedChangeKeepsOnlyUnmappedPathsAsIgnored() {
        let result = impact([.modified("docs/setup.md"), .modified("services/plex/compose.yml")])
        #expect(result.units == ["plex"])
        #expect(result.ignoredPaths == ["docs/setup.md"])
    }

    @Test func firstDeployIsTheSystemAndEveryUnit() {
        let result = impact([], firstDeploy: true)
        #expect(result.system)
        #expect(result.units == Set(seedIDs))
        #expect(result.pruned.isEmpty)
        let withPaths = impact([.added("docs/setup.md"), .added("services/plex/compose.yml")], firstDeploy: true)
        #expect(withPaths.units == Set(seedIDs))
        #expect(withPaths.reasons["plex"] == ["services/plex/compose.yml"])
        #expect(withPaths.ignoredPaths == ["docs/setup.md"])
    }

    @Test func firstDeployWithoutNixOSHasNoSystem() throws {
        let new = try discover(files(["services/plex/compose.yml"]))
        let result = impact([], new: new, firstDeploy: true)
        #expect(!result.system)
        #expect(result.units == ["plex"])
    }

    @Test func otherRoots() throws {
        var config = Config()
        config.services.root = "stacks"
        config.system.root = "os"
        let units = try discover(
            files(["stacks/AI/compose.yml", "stacks/media/jellyfin/compose.yml", "os/flake.nix"]),
            servicesRoot: "stacks",
            systemRoot: "os"
        )
        let result = impact(
            [
                .modified("stacks/AI/compose.yml"), .modified("stacks/media/.env.example"), .modified("os/flake.nix"),
                .modified("nixos/flake.nix"), .modified("services/plex/compose.yml"),
                .modified("os/modules/services/AI/user.nix"),
            ],
            old: units,
            new: units,
            oldConfig: config,
            newConfig: config
        )
        #expect(result.system)
        #expect(result.units == ["AI", "media/jellyfin"])
        #expect(result.ignoredPaths == ["nixos/flake.nix", "services/plex/compose.yml"])
    }

    @Test func impactEncodesSortedForStableJSON() throws {
        let result = impact([.modified("services/sonarr/.env.example"), .modified("nixos/flake.nix"), .modified("x")])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(result), as: UTF8.self)
        #expect(
            json == #"{"ignoredPaths":["x"],"pruned":[],"reasons":{"sonarr\/anime":["services\/sonarr\/.env.example"],"#
                + #""sonarr\/shows":["services\/sonarr\/.env.example"],"system":["nixos\/flake.nix"]},"system":true,"#
                + #""units":["sonarr\/anime","sonarr\/shows"]}"#
        )
        #expect(try JSONDecoder().decode(Impact.self, from: Data(json.utf8)) == result)
    }
}

@Suite struct PathMapperConfigTests {
    let seed: UnitSet

    init() throws {
        seed = try seedUnits()
    }

    func configChange(_ old: Config?, _ new: Config, new units: UnitSet? = nil) -> Impact {
        PathMapper.impact(
            changes: [.modified("reconciler.json")],
            old: seed,
            new: units ?? seed,
            oldConfig: old,
            newConfig: new
        )
    }

    @Test func changedDependenciesAffectThatUnit() throws {
        let old = try decode(contractExampleJSON)
        var new = old
        new.units["prowlarr"]?.dependsOn = ["gluetun", "pihole"]
        let result = configChange(old, new)
        #expect(result == Impact(units: ["prowlarr"], reasons: ["prowlarr": ["reconciler.json"]]))
    }

    @Test func addedAndRemovedSettingsAffectTheirUnits() throws {
        let old = try decode(contractExampleJSON)
        var new = old
        new.units["sonarr/shows"] = nil
        new.units["plex"] = UnitSettings(healthTimeout: .seconds(300))
        #expect(configChange(old, new).units == ["plex", "sonarr/shows"])
    }

    @Test func equalSettingsWrittenDifferentlyAffectNothing() throws {
        let old = try decode(#"{"units": {"plex": {}}}"#)
        let new = try decode(#"{"units": {"plex": {"dependsOn": []}}, "notify": [{"url": "https://ntfy.sh/x"}]}"#)
        let result = configChange(old, new)
        #expect(result.isEmpty)
        #expect(result.ignoredPaths.isEmpty)
    }

    @Test func globalSettingsAffectNoUnit() throws {
        let old = Config()
        var new = old
        new.services.healthTimeout = .seconds(300)
        new.services.parallelism = 1
        new.pollInterval = .seconds(10)
        new.groups = ["media": ["plex"]]
        new.system.check = ["true"]
        #expect(configChange(old, new).isEmpty)
    }

    @Test func composeCommandChangeAffectsEveryUnit() {
        var new = Config()
        new.services.compose = ["podman", "compose"]
        let result = configChange(Config(), new)
        #expect(result.units == Set(seedIDs))
        #expect(!result.system)
    }

    @Test func servicesRootChangeAffectsEveryUnitOfTAndPrunesNothingThatMoved() throws {
        var new = Config()
        new.services.root = "stacks"
        let moved = try discover(
            files(seedPaths.map { $0.replacingOccurrences(of: "services/", with: "stacks/") }),
            servicesRoot: "stacks"
        )
        let result = PathMapper.impact(
            changes: [
                .modified("reconciler.json"),
                .renamed(from: "services/plex/compose.yml", to: "stacks/plex/compose.yml"),
            ],
            old: seed,
            new: moved,
            oldConfig: Config(),
            newConfig: new
        )
        #expect(result.units == Set(seedIDs))
        #expect(result.pruned.isEmpty)
        #expect(result.reasons["plex"] == ["reconciler.json", "services/plex/compose.yml", "stacks/plex/compose.yml"])
    }

    @Test func systemSwitchChangeAffectsTheSystem() {
        var new = Config()
        new.system.switch = ["nixos-rebuild", "switch", "--flake", "./nixos#hl15"]
        #expect(configChange(Config(), new) == Impact(system: true, reasons: ["system": ["reconciler.json"]]))
    }

    @Test func systemSwitchChangeWithoutSystemTreeAffectsNothing() throws {
        var new = Config()
        new.system.switch = ["true"]
        let noSystem = try discover(files(["services/plex/compose.yml"]))
        #expect(!configChange(Config(), new, new: noSystem).system)
    }

    @Test func unreadableOldConfigMeansEverything() {
        let result = configChange(nil, Config())
        #expect(result.system)
        #expect(result.units == Set(seedIDs))
        #expect(result.reasons["gluetun"] == ["reconciler.json"])
    }

    @Test func unchangedConfigFileWithoutOldConfigMeansNothingExtra() {
        let result = PathMapper.impact(
            changes: [.modified("services/plex/compose.yml")],
            old: seed,
            new: seed,
            oldConfig: nil,
            newConfig: Config()
        )
        #expect(result.units == ["plex"])
        #expect(!result.system)
    }
}
