import Foundation
import Git
import ReconcilerCore
import ReconcilerTesting
import Testing

@Suite struct UnitDiscoveryTests {
    @Test func seedLayout() throws {
        let units = try seedUnits()
        #expect(units.ids == seedIDs)
        #expect(units.hasSystem)
        #expect(
            units["sonarr/shows"]
                == ServiceUnit(
                    id: "sonarr/shows",
                    projectName: "sonarr-shows",
                    directory: "services/sonarr/shows",
                    composeFile: "compose.yml"
                )
        )
        #expect(units["plex"]?.projectName == "plex")
        #expect(units["plex"]?.composePath == "services/plex/compose.yml")
        #expect(units["radarr/anime"]?.projectName == "radarr-anime")
        #expect(units["monitoring/node-exporter"]?.projectName == "monitoring-node-exporter")
        #expect(units["sonarr"] == nil)
        #expect(units["radarr/anime"]?.service == "radarr")
        #expect(units["radarr/anime"]?.instance == "anime")
        #expect(units["plex"]?.instance == nil)
    }

    @Test func instancesOfAService() throws {
        let units = try seedUnits()
        #expect(units.instances(of: "sonarr") == ["sonarr/anime", "sonarr/shows"])
        #expect(units.instances(of: "monitoring") == ["monitoring", "monitoring/node-exporter"])
        #expect(units.instances(of: "plex") == ["plex"])
        #expect(units.instances(of: "son") == [])
    }

    @Test func directoryWithComposeFileAndInstancesIsSeveralUnits() throws {
        let units = try discover(
            files([
                "services/monitoring/compose.yml", "services/monitoring/node-exporter/compose.yml",
                "services/monitoring/cadvisor/compose.yaml", "services/monitoring/dashboards/home.json",
            ])
        )
        #expect(units.ids == ["monitoring", "monitoring/cadvisor", "monitoring/node-exporter"])
        #expect(units["monitoring/cadvisor"]?.composeFile == "compose.yaml")
    }

    @Test func otherRootNormalisesProjectNamesLikeCompose() throws {
        let units = try discover(
            files(["stacks/AI/compose.yml", "stacks/Media Server/Jelly.Fin/docker-compose.yml", "os/flake.nix"]),
            servicesRoot: "stacks",
            systemRoot: "os"
        )
        #expect(units.ids == ["AI", "Media Server/Jelly.Fin"])
        #expect(
            units["AI"] == ServiceUnit(id: "AI", projectName: "ai", directory: "stacks/AI", composeFile: "compose.yml")
        )
        #expect(units["Media Server/Jelly.Fin"]?.projectName == "mediaserver-jellyfin")
        #expect(units.hasSystem)
    }

    @Test func projectNameNormalisation() {
        let cases = [
            ("sonarr/shows", "sonarr-shows"), ("AI", "ai"), ("_private", "private"), ("-_x_y", "x_y"),
            ("my.app", "myapp"), ("Ünïcode", "ncode"), ("a/_b", "a-_b"), ("___", ""), ("日本", ""),
        ]
        for (id, expected) in cases {
            #expect(composeProjectName(forUnitID: id) == expected, "\(id)")
        }
    }

    @Test func collidingProjectNamesNameBothPaths() {
        let error = unitError { () throws(UnitError) in
            try discover(files(["services/sonarr/anime/compose.yml", "services/sonarr-anime/compose.yml"]))
        }
        #expect(error?.code == .projectNameCollision)
        #expect(
            error?.description
                == #"services/sonarr-anime: "services/sonarr-anime" and "services/sonarr/anime" both get the Compose "#
                + #"project name "sonarr-anime"; rename one of them"#
        )
    }

    @Test func caseOnlyDifferenceCollides() {
        let error = unitError { () throws(UnitError) in
            try discover(files(["services/AI/compose.yml", "services/ai/compose.yml"]))
        }
        #expect(error?.code == .projectNameCollision)
        #expect(error?.message.contains(#""services/AI" and "services/ai""#) == true)
    }

    @Test func nameThatNormalisesToNothing() {
        let error = unitError { () throws(UnitError) in try discover(files(["services/日本/compose.yml"])) }
        #expect(error?.code == .emptyProjectName)
        #expect(error?.path == "services/日本")
        #expect(error?.message.contains("rename the directory") == true)
    }

    @Test func dotDotComponentIsRefused() {
        let error = unitError { () throws(UnitError) in
            try discover(files(["services/plex/compose.yml", "services/../etc/compose.yml"]))
        }
        #expect(error?.code == .invalidPath)
        #expect(error?.path == "services/../etc/compose.yml")
    }

    @Test func controlCharacterIsRefusedAndShownEscaped() {
        let error = unitError { () throws(UnitError) in try discover(files(["services/pl\u{7}ex/compose.yml"])) }
        #expect(error?.code == .controlCharacter)
        #expect(error?.path == #"services/pl\u{07}ex"#)
    }

    @Test func controlCharacterDeepInsideAUnitIsHarmless() throws {
        let units = try discover(files(["services/plex/compose.yml", "services/plex/notes/odd\u{1}name.txt"]))
        #expect(units.ids == ["plex"])
    }

    @Test func composeSymlinkLeavingTheRepositoryIsRefused() {
        let entries = [
            TreeEntry(path: "services/plex/compose.yml", kind: .symlink),
            TreeEntry(path: "services/tdarr/compose.yml", kind: .symlink),
        ]
        for (target, code) in [
            ("/etc/compose.yml", UnitError.Code.symlinkEscapes), ("../../../compose.yml", .symlinkEscapes),
            ("../../x/../../compose.yml", .symlinkEscapes),
        ] {
            let error = unitError { () throws(UnitError) in
                try discover(
                    entries,
                    symlinks: ["services/plex/compose.yml": target, "services/tdarr/compose.yml": "x.yml"]
                )
            }
            #expect(error?.code == code, "\(target)")
            #expect(error?.path == "services/plex/compose.yml")
            #expect(error?.message.contains("\"\(target)\"") == true)
        }
    }

    @Test func composeSymlinkInsideTheRepositoryIsAUnit() throws {
        let units = try discover(
            [TreeEntry(path: "services/plex/compose.yml", kind: .symlink)],
            symlinks: ["services/plex/compose.yml": "../../shared/plex.yml"]
        )
        #expect(units.ids == ["plex"])
    }

    @Test func unreadableSymlinkIsAnError() {
        let error = unitError { () throws(UnitError) in
            try discover([TreeEntry(path: "services/plex/compose.yml", kind: .symlink)])
        }
        #expect(error?.code == .unreadableSymlink)
    }

    @Test func submoduleIsNeverAUnit() throws {
        let units = try discover([
            TreeEntry(path: "services/vendored", kind: .submodule),
            TreeEntry(path: "services/weird/compose.yml", kind: .submodule),
            TreeEntry(path: "services/plex/compose.yml", kind: .file),
        ])
        #expect(units.ids == ["plex"])
    }

    @Test func deepComposeFileIsNotAUnit() throws {
        let units = try discover(
            files([
                "services/app/compose.yml", "services/app/tests/e2e/compose.yml", "services/deep/a/b/compose.yml",
                "services/compose.yml",
            ])
        )
        #expect(units.ids == ["app"])
    }

    @Test func composeFileNamePreferenceFollowsCompose() throws {
        let units = try discover(
            files([
                "services/a/docker-compose.yml", "services/a/compose.yml", "services/a/compose.yaml",
                "services/b/docker-compose.yml", "services/b/docker-compose.yaml",
                "services/c/docker-compose.yml", "services/c/compose.yml",
                "services/d/docker-compose.yml",
                "services/e/compose.yml.bak",
            ])
        )
        #expect(units.ids == ["a", "b", "c", "d"])
        #expect(
            units.ids.map { units[$0]!.composeFile } == [
                "compose.yaml", "docker-compose.yaml", "compose.yml", "docker-compose.yml",
            ]
        )
    }

    @Test func hiddenDirectoriesAreNoUnits() throws {
        let units = try discover(
            files([
                "services/.archive/compose.yml", "services/.disabled/old/compose.yml",
                "services/plex/.hidden/compose.yml",
                "services/plex/compose.yml",
            ])
        )
        #expect(units.ids == ["plex"])
    }

    @Test func systemIsAReservedID() {
        let error = unitError { () throws(UnitError) in try discover(files(["services/system/compose.yml"])) }
        #expect(error?.code == .reservedID)
        #expect(error?.path == "services/system")
    }

    @Test func noSystemWithoutSystemRoot() throws {
        let units = try discover(files(["services/plex/compose.yml", "nixosx/flake.nix"]))
        #expect(!units.hasSystem)
    }

    @Test func workTreeIsListedAndDiscovered() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fileManager = FileManager.default
        func write(_ path: String, mode: Int = 0o644) throws {
            let full = dir.appending(path)
            try fileManager.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try Data("x: 1\n".utf8).write(to: URL(fileURLWithPath: full))
            try fileManager.setAttributes([.posixPermissions: mode], ofItemAtPath: full)
        }
        try write(".git/HEAD")
        try write("reconciler.json")
        try write("nixos/flake.nix")
        try write("services/plex/compose.yml")
        try write("services/plex/.env")
        try write("services/sonarr/shows/compose.yml")
        try write("services/tools/run.sh", mode: 0o755)
        try write("services/vendored/.git/HEAD")
        try write("services/vendored/compose.yml")
        try write("shared/gluetun.yml")
        try fileManager.createDirectory(atPath: dir.appending("services/gluetun"), withIntermediateDirectories: true)
        try fileManager.createSymbolicLink(
            atPath: dir.appending("services/gluetun/compose.yml"),
            withDestinationPath: "../../shared/gluetun.yml"
        )
        try fileManager.createSymbolicLink(atPath: dir.appending("services/linked"), withDestinationPath: "plex")

        let entries = try UnitDiscovery.workTreeEntries(root: dir.path)
        #expect(
            entries == [
                TreeEntry(path: "nixos/flake.nix", kind: .file),
                TreeEntry(path: "reconciler.json", kind: .file),
                TreeEntry(path: "services/gluetun/compose.yml", kind: .symlink),
                TreeEntry(path: "services/linked", kind: .symlink),
                TreeEntry(path: "services/plex/.env", kind: .file),
                TreeEntry(path: "services/plex/compose.yml", kind: .file),
                TreeEntry(path: "services/sonarr/shows/compose.yml", kind: .file),
                TreeEntry(path: "services/tools/run.sh", kind: .executable),
                TreeEntry(path: "services/vendored", kind: .submodule),
                TreeEntry(path: "shared/gluetun.yml", kind: .file),
            ]
        )
        let units = try UnitDiscovery.discover(
            entries: entries,
            servicesRoot: "services",
            systemRoot: "nixos",
            symlinkTarget: UnitDiscovery.workTreeSymlinkTarget(root: dir.path)
        )
        #expect(units.ids == ["gluetun", "plex", "sonarr/shows"])
        #expect(units.hasSystem)
    }
}
