import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

/// The homelab this repository deploys: every Compose file, NixOS file, the dependency graph, the READMEs, the
/// users and the .gitignore. Nothing here needs a Docker engine (`compose config` runs offline); the operator's
/// Makefile targets are ``OperatorMakefileTests``, on the engine.
@Suite struct HomelabContentTests {
    @Test func everySeedServiceIsAUnit() throws {
        let config = try HomelabRepository.config()
        let units = try HomelabRepository.units(config)
        #expect(Set(units.ids) == HomelabRepository.seedUnits)
        #expect(units.hasSystem)
    }

    @Test(arguments: HomelabRepository.seedUnits.sorted())
    func composeFilePassesConfigWithItsExample(unit: String) throws {
        let directory = "\(HomelabRepository.root)/services/\(unit)"
        #expect(FileManager.default.fileExists(atPath: "\(directory)/.env.example"), "\(unit) has no .env.example")
        let base = [
            "docker", "compose", "--project-name", unit.replacingOccurrences(of: "/", with: "-"),
            "--project-directory", directory, "--env-file", "\(directory)/.env.example", "--file",
            "\(directory)/compose.yml", "config",
        ]
        let quiet = try Command.run(base + ["--quiet"])
        #expect(quiet.status == 0, "\(unit): \(quiet.output)")
        // Compose warns on stderr about variables .env.example does not set.
        #expect(quiet.stderr.isEmpty, "\(unit): \(quiet.stderr)")

        let json = try Command.run(base + ["--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let services = try #require(object?["services"] as? [String: [String: Any]], "\(unit): \(json.output)")
        for (name, service) in services {
            let image = service["image"] as? String ?? ""
            let tag = image.split(separator: "/").last?.split(separator: ":").dropFirst().first.map(String.init)
            #expect(tag != nil && tag != "latest", "\(unit)/\(name): image \(image) is not pinned to a version tag")
            #expect(service["restart"] as? String == "unless-stopped", "\(unit)/\(name): restart policy")
        }
        // PUID, PGID and TZ: each service's .env.example sets them.
        let keys = EnvFile.keys(atPath: "\(directory)/.env.example") ?? []
        #expect(keys.isSuperset(of: ["PUID", "PGID", "TZ"]), "\(unit): .env.example lacks PUID/PGID/TZ")
    }

    @Test func vpnClientsShareGluetunsNetwork() throws {
        for unit in ["prowlarr", "deluge"] {
            let text = try String(
                contentsOfFile: "\(HomelabRepository.root)/services/\(unit)/compose.yml",
                encoding: .utf8
            )
            #expect(text.contains("network_mode: \"container:gluetun\""), "\(unit) does not go through gluetun")
        }
        let gluetun = try String(
            contentsOfFile: "\(HomelabRepository.root)/services/gluetun/compose.yml",
            encoding: .utf8
        )
        #expect(gluetun.contains("container_name: gluetun"))
    }

    @Test func everyNixFileParses() throws {
        let files = HomelabRepository.files(under: "nixos", suffix: ".nix")
        #expect(files.contains("nixos/flake.nix"))
        #expect(files.contains("nixos/configuration.nix"))
        #expect(files.contains("nixos/modules/default.nix"))
        #expect(!FileManager.default.fileExists(atPath: "\(HomelabRepository.root)/nixos/flake.lock"), "never faked")
        for file in files {
            let result = try Command.run(["nix-instantiate", "--parse", "\(HomelabRepository.root)/\(file)"])
            #expect(result.status == 0, "\(file): \(result.stderr)")
        }
        let flake = try String(contentsOfFile: "\(HomelabRepository.root)/nixos/flake.nix", encoding: .utf8)
        #expect(flake.contains("nixosConfigurations.homelab-hl15"))
    }

    @Test func everyServiceHasAUserWhoseUIDIsItsPUID() throws {
        let root = HomelabRepository.root
        let defaultNix = try String(contentsOfFile: "\(root)/nixos/modules/default.nix", encoding: .utf8)
        var uids: [String: String] = [:]
        for unit in HomelabRepository.seedUnits.sorted() {
            let service = String(unit.prefix { $0 != "/" })
            let module = "nixos/modules/services/\(service)/user.nix"
            #expect(defaultNix.contains("./services/\(service)/user.nix"), "\(module) is not imported")
            let nix = try String(contentsOfFile: "\(root)/\(module)", encoding: .utf8)
            let env = try String(contentsOfFile: "\(root)/services/\(unit)/.env.example", encoding: .utf8)
            let puid = try #require(value(of: "PUID", in: env), "\(unit): no PUID")
            let pgid = try #require(value(of: "PGID", in: env), "\(unit): no PGID")
            #expect(nix.contains("uid = \(puid);"), "\(module) has no user with uid \(puid) (PUID of \(unit))")
            #expect(nix.contains("d /var/lib/services/\(unit) "), "\(module) has no tmpfiles rule for its data dir")
            #expect(uids.updateValue(unit, forKey: puid) == nil, "PUID \(puid) is used twice")
            let groups = HomelabRepository.files(under: "nixos/modules/groups", suffix: ".nix")
            let declared = try groups.contains {
                try String(contentsOfFile: "\(root)/\($0)", encoding: .utf8).contains(".gid = \(pgid);")
            }
            #expect(declared, "\(unit): no group under nixos/modules/groups has gid \(pgid) (its PGID)")
        }
        let admin = try String(contentsOfFile: "\(root)/nixos/users/admin.nix", encoding: .utf8)
        #expect(admin.contains("\"docker\""))
        #expect(admin.contains("openssh.authorizedKeys.keys"))
    }

    @Test func dependencyGraphIsTheSeedsAndAcyclic() throws {
        let config = try HomelabRepository.config()
        let units = try HomelabRepository.units(config)
        let graph = try config.validate(units: units)  // throws on a cycle or an unknown unit
        for (unit, dependencies) in HomelabRepository.seedEdges {
            #expect(graph.directDependencies(of: unit).isSuperset(of: dependencies), "\(unit) lacks a seed edge")
        }
        #expect(Set(config.groups.keys) == ["media", "monitoring", "infrastructure", "selfhosting"])
        #expect(config.system.switch == ["nixos-rebuild", "switch", "--flake", "./nixos#homelab-hl15"])
        #expect(config.networks["homelab_network"] != nil)
        let waves = graph.waves(Set(units.ids))
        #expect(waves.first?.contains("gluetun") == true)
        #expect(waves.last?.contains("overseerr") == true)
    }

    @Test func everyServiceReadmeNamesItsDependencies() throws {
        let config = try HomelabRepository.config()
        let root = HomelabRepository.root
        #expect(FileManager.default.fileExists(atPath: "\(root)/services/README.template.md"))
        for unit in HomelabRepository.seedUnits {
            let readme = try String(contentsOfFile: "\(root)/services/\(unit)/README.md", encoding: .utf8)
            #expect(readme.hasPrefix("# \(unit)\n"), "services/\(unit)/README.md")
            for dependency in config.settings(for: unit).dependsOn {
                #expect(readme.contains("`\(dependency)`"), "services/\(unit)/README.md does not name \(dependency)")
            }
        }
    }

    @Test func homepageListsEveryServiceAndTheReconciler() throws {
        let services = try String(
            contentsOfFile: "\(HomelabRepository.root)/services/homepage/config/services.yaml",
            encoding: .utf8
        )
        for unit in HomelabRepository.seedUnits {
            let container = unit.replacingOccurrences(of: "/", with: "-")
            #expect(
                services.contains("container: \(container)") || services.contains("container: \(container)-server")
                    || unit == "homepage",
                "homepage does not list \(unit)"
            )
        }
        #expect(services.contains("type: customapi"))
        #expect(services.contains(":9876/status"))
    }

    @Test func gitignoreKeepsSecretsOutAndExamplesIn() throws {
        // git itself decides (--no-index: the rules, not what happens to be tracked).
        func ignored(_ path: String) throws -> Bool {
            try Command.run(["git", "-C", HomelabRepository.root, "check-ignore", "--quiet", "--no-index", path])
                .status == 0
        }
        for path in [
            "services/plex/.env", "services/sonarr/shows/.env", ".env", "secrets.env", "result", "result-1",
            ".build/debug", ".testenv/engine.log",
        ] {
            #expect(try ignored(path), "\(path) is not ignored")
        }
        for path in ["services/plex/.env.example", "services/sonarr/shows/.env.example", "Makefile", "nixos/flake.nix"]
        {
            #expect(try !ignored(path), "\(path) is ignored")
        }
    }

    private func value(of key: String, in env: String) -> String? {
        env.split(separator: "\n").first { $0.hasPrefix("\(key)=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}

/// The operator's Makefile targets, run as an operator runs them (`make -f /opt/homelab/Makefile TARGET`) with the
/// built binary, on a fixture homelab with this repository's real Makefile, on the rig's Docker engine; the system
/// switch is the fixture's recording stand-in.
@Suite struct OperatorMakefileTests {
    /// A homelab with one unit per group and (unless `withShows` is false) `sonarr/shows`, which needs the
    /// infrastructure's gateway; the repository's Makefile committed at its root; cloned for deploying. Only one
    /// fixture at a time has `sonarr/shows` (its Compose project, `sonarr-shows`, carries no tag).
    struct Fixture {
        let homelab: Homelab
        let gateway: String
        let plex: String
        let grafana: String
        let immich: String
        let shows = "sonarr/shows"
        let withShows: Bool

        init(withShows: Bool = true) throws {
            self.withShows = withShows
            try DockerRig.requireEngine()
            homelab = try Homelab()
            gateway = "gluetun\(homelab.tag)"
            plex = "plex\(homelab.tag)"
            grafana = "grafana\(homelab.tag)"
            immich = "immich\(homelab.tag)"
            let media = (withShows ? [plex, shows] : [plex]).map { "\"\($0)\"" }.joined(separator: ", ")
            let groups = """
                "groups": { "infrastructure": ["\(gateway)"], "media": [\(media)], \
                "monitoring": ["\(grafana)"], "selfhosting": ["\(immich)"] }
                """
            var files: [String: String?] = [
                "reconciler.json": homelab.config(units: withShows ? [shows: [gateway]] : [:], extra: groups),
                "Makefile": try String(contentsOfFile: "\(HomelabRepository.root)/Makefile", encoding: .utf8),
                ".gitignore": ".env\n*.env\n!*.env.example\n",
                "nixos/configuration.nix": "{ ... }: { networking.hostName = \"homelab\"; }\n",
            ]
            for unit in units { files["services/\(unit)/compose.yml"] = Homelab.service(version: "1") }
            try homelab.commit(files, message: "Initial homelab")
            try homelab.cloneDeploy()
        }

        var units: [String] { [gateway, plex] + (withShows ? [shows] : []) + [grafana, immich] }

        func project(_ unit: String) -> String { unit.replacingOccurrences(of: "/", with: "-") }

        /// `make -f <deploy clone>/Makefile <args> RECONCILER=<built binary>`, from another directory, with the
        /// state directory and host file given through the environment.
        func make(_ args: String...) throws -> CommandResult {
            try Command.run(
                ["make", "--no-print-directory", "-f", "\(homelab.deploy)/Makefile"] + args
                    + ["RECONCILER=\(ReconcilerBinary.path)"],
                in: homelab.dir.path,
                environment: DockerRig.environment.merging([
                    "RECONCILER_STATE_DIR": homelab.stateDir,
                    "RECONCILER_HOST_CONFIG": homelab.dir.appending("host-config.json"),
                    "MAKEFLAGS": "", "MAKELEVEL": "",
                ]) { _, new in new }
            )
        }

        func running(_ unit: String) throws -> Bool { try !Containers.running(project(unit)).isEmpty }

        func deployedCommit() throws -> String? {
            let status = try ReconcilerBinary.run(["status", "--json"], homelab: homelab)
            return (try decodeJSON(status.stdout)["deployed"] as? [String: Any])?["commit"] as? String
        }

        func stopAll() throws {
            let stop = try ReconcilerBinary.run(["stop"] + units, homelab: homelab)
            #expect(stop.status == 0, "\(stop.output)")
            for unit in units { #expect(try !running(unit), "\(unit) still runs") }
        }

        func tearDown() { homelab.tearDown(projects: units.map(project)) }
    }

    @Test func deployTargetsBringUpWhatTheyNameAndUpdateSystemAlwaysSwitches() throws {
        let lab = try Fixture()
        defer { lab.tearDown() }
        let first = try lab.homelab.git(["rev-parse", "HEAD"])

        let all = try lab.make("deploy-all")
        #expect(all.status == 0, "\(all.output)")
        for unit in lab.units { #expect(try lab.running(unit), "deploy-all: \(unit) is not up") }
        #expect(try lab.deployedCommit() == first)
        // The first deploy switches, and update-system switches again though nixos/ did not change since.
        #expect(lab.homelab.switchCalls().count == 2, "\(lab.homelab.switchCalls())")

        let missing = try lab.make("deploy")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("SERVICE="), "\(missing.output)")

        // deploy SERVICE=…: the seed's name and the unit id; the dependency comes up with it, nothing else does.
        for name in ["sonarr-shows", "sonarr/shows"] {
            try lab.stopAll()
            let deploy = try lab.make("deploy", "SERVICE=\(name)")
            #expect(deploy.status == 0, "\(deploy.output)")
            #expect(try lab.running(lab.shows), "deploy SERVICE=\(name)")
            #expect(try lab.running(lab.gateway), "deploy SERVICE=\(name): its dependency")
            for unit in [lab.plex, lab.grafana, lab.immich] { #expect(try !lab.running(unit), "\(unit) came up") }
        }

        // deploy-<group>: that group's units, one group after the other.
        try lab.stopAll()
        var up: Set<String> = []
        for (group, members) in [
            ("infrastructure", [lab.gateway]), ("media", [lab.plex, lab.shows]), ("monitoring", [lab.grafana]),
            ("selfhosting", [lab.immich]),
        ] {
            let deploy = try lab.make("deploy-\(group)")
            #expect(deploy.status == 0, "deploy-\(group): \(deploy.output)")
            up.formUnion(members)
            for unit in lab.units { #expect(try lab.running(unit) == up.contains(unit), "deploy-\(group): \(unit)") }
        }
        #expect(lab.homelab.switchCalls().count == 2, "only update-system switches when nixos/ did not change")

        // update-system: pulls the new commit (a service change only) and runs the system step anyway, recorded.
        let second = try lab.homelab.commit(
            ["services/\(lab.plex)/compose.yml": Homelab.service(version: "2")],
            message: "plex: version 2"
        )
        let system = try lab.make("update-system")
        #expect(system.status == 0, "\(system.output)")
        #expect(try lab.deployedCommit() == second)
        #expect(try Containers.version(lab.project(lab.plex)) == "2")
        #expect(lab.homelab.switchCalls().count == 3, "\(lab.homelab.switchCalls())")
        let steps = try lastDeploymentSteps(lab.homelab)
        #expect(steps.contains { $0.unit == "system" && $0.action == "switch" }, "\(steps)")

        // update-services: pulls and makes sure every service is up; no switch.
        let stop = try lab.make("stop", "SERVICE=\(lab.grafana)")
        #expect(stop.status == 0, "\(stop.output)")
        #expect(try !lab.running(lab.grafana))
        let third = try lab.homelab.commit(
            ["services/\(lab.immich)/compose.yml": Homelab.service(version: "3")],
            message: "immich: version 3"
        )
        let services = try lab.make("update-services")
        #expect(services.status == 0, "\(services.output)")
        #expect(try lab.deployedCommit() == third)
        #expect(try Containers.version(lab.project(lab.immich)) == "3")
        for unit in lab.units { #expect(try lab.running(unit), "update-services: \(unit) is not up") }
        #expect(lab.homelab.switchCalls().count == 3)
    }

    @Test func dayToDayTargetsOnADeployedHomelab() throws {
        let lab = try Fixture(withShows: false)
        defer { lab.tearDown() }
        let first = try lab.homelab.git(["rev-parse", "HEAD"])
        let second = try lab.homelab.commit(
            ["services/\(lab.grafana)/compose.yml": Homelab.service(version: "2")],
            message: "grafana: version 2"
        )
        let sync = try ReconcilerBinary.run(["sync"], homelab: lab.homelab)
        #expect(sync.status == 0, "\(sync.output)")

        let before = try Containers.running(lab.plex)
        let restart = try lab.make("restart", "SERVICE=\(lab.plex)")
        #expect(restart.status == 0, "\(restart.output)")
        let after = try Containers.running(lab.plex)
        #expect(!after.isEmpty && after != before, "restart made a new container")

        let logs = try lab.make("logs", "SERVICE=\(lab.plex)", "FOLLOW=")
        #expect(logs.status == 0, "\(logs.output)")
        #expect(logs.stdout.contains("started version 1"), "\(logs.output)")

        // The fixtures' image exists only in the engine: no registry has it, so it is kept and said so.
        let pull = try lab.make("pull-images")
        #expect(pull.status == 0, "\(pull.output)")
        #expect(pull.output.contains("kept the local image \(DockerRig.testImage)"), "\(pull.output)")
        #expect(pull.stdout.contains("Kept local images"), "\(pull.output)")

        let validate = try lab.make("validate")
        #expect(validate.status == 0, "\(validate.output)")
        #expect(validate.stdout.contains("All checks passed."))

        let status = try lab.make("status")
        #expect(status.status == 0, "\(status.output)")
        #expect(status.stdout.contains(String(second.prefix(12))), "\(status.output)")

        let stopped = "rt-stopped-\(lab.homelab.tag)"
        let create = try Command.run(
            ["docker", "create", "--name", stopped, DockerRig.testImage, "true"],
            environment: DockerRig.environment
        )
        #expect(create.status == 0, "\(create.output)")
        defer { _ = try? Command.run(["docker", "rm", "-f", stopped], environment: DockerRig.environment) }
        let cleanup = try lab.make("cleanup")
        #expect(cleanup.status == 0, "\(cleanup.output)")
        let inspect = try Command.run(["docker", "inspect", stopped], environment: DockerRig.environment)
        #expect(inspect.status != 0, "cleanup pruned the stopped container")

        let rollback = try lab.make("rollback", "REV=HEAD~1")
        #expect(rollback.status == 0, "\(rollback.output)")
        #expect(try lab.deployedCommit() == first)
        #expect(try Containers.version(lab.project(lab.grafana)) == "1")
        #expect(try lab.homelab.git(["rev-parse", "HEAD"], in: lab.homelab.deploy) == first)
    }
}
