import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

/// The homelab this repository deploys: every Compose file, NixOS file, the dependency graph, the READMEs, the
/// users, and the operator's Makefile targets. Nothing here needs a Docker engine (`compose config` runs offline).
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

    @Test func operatorTargetsCallTheReconciler() throws {
        let root = HomelabRepository.root
        func make(_ args: String...) throws -> CommandResult {
            try Command.run(["make", "--no-print-directory", "-s", "-C", root, "RECONCILER=echo reconciler"] + args)
        }
        let expected: [([String], [String])] = [
            (["deploy-all"], ["sync", "deploy --all"]),
            (["deploy", "SERVICE=plex"], ["sync", "deploy plex"]),
            (["deploy", "SERVICE=sonarr-shows"], ["sync", "deploy sonarr/shows"]),
            (["deploy-media"], ["sync", "deploy --group media"]),
            (["deploy-monitoring"], ["sync", "deploy --group monitoring"]),
            (["deploy-infrastructure"], ["sync", "deploy --group infrastructure"]),
            (["deploy-selfhosting"], ["sync", "deploy --group selfhosting"]),
            (["update-system"], ["sync"]),
            (["update-services"], ["sync", "deploy --all"]),
            (["stop", "SERVICE=radarr/anime"], ["stop radarr/anime"]),
            (["restart", "SERVICE=plex"], ["restart plex"]),
            (["logs", "SERVICE=plex"], ["logs --follow plex"]),
            (["pull-images"], ["pull-images"]),
            (["cleanup"], ["cleanup"]),
            (["validate"], ["validate"]),
            (["status"], ["status"]),
            (["rollback"], ["rollback HEAD~1"]),
            (["rollback", "REV=abc123"], ["rollback abc123"]),
        ]
        for (args, lines) in expected {
            let result = try Command.run(
                ["make", "--no-print-directory", "-s", "-C", root, "RECONCILER=echo reconciler"] + args
            )
            #expect(result.status == 0, "make \(args): \(result.output)")
            let want = lines.map { "reconciler --repo \(root) \($0)" }
            #expect(result.stdout.split(separator: "\n").map(String.init) == want, "make \(args)")
        }
        let missing = try make("deploy")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("SERVICE="))
        // The developers' targets are still there.
        let dry = try Command.run(["make", "--no-print-directory", "-n", "-C", root, "build", "lint", "install"])
        #expect(dry.status == 0, "\(dry.output)")
        #expect(dry.stdout.contains("swift build"))
    }

    @Test func gitignoreKeepsSecretsOutAndExamplesIn() throws {
        let ignore = try String(contentsOfFile: "\(HomelabRepository.root)/.gitignore", encoding: .utf8)
        for line in ["services/**/.env", "*.env", "!*.env.example", ".env", "result", ".build/"] {
            #expect(ignore.split(separator: "\n").contains(Substring(line)), "\(line) missing from .gitignore")
        }
    }

    private func value(of key: String, in env: String) -> String? {
        env.split(separator: "\n").first { $0.hasPrefix("\(key)=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}
