import Foundation
import ReconcilerTesting
import Testing

/// The Nix package, the NixOS module and the plain systemd unit. nixpkgs is not on this machine, so the module and
/// the package are evaluated with nix/tests/eval-*.nix (a stand-in for nixpkgs' lib and stdenv) by Debian's
/// nix-instantiate, and every .nix file is parsed; a real `nix build` / `nixos-rebuild` is the operator's.
struct PackagingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func available(_ tool: String) -> Bool {
        (try? Command.run(["sh", "-c", "command -v \(tool)"]))?.status == 0
    }

    static func requireNix() throws {
        try #require(available("nix-instantiate"), "nix-instantiate is installed by scripts/testenv.sh up (nix-bin)")
    }

    /// Runs a nix/tests harness and decodes its JSON.
    static func evaluate(_ harness: String, _ arguments: [String]) throws -> [String: Any] {
        try requireNix()
        let result = try Command.run(
            ["nix-instantiate", "--eval", "--strict", "--json", "--read-write-mode", "nix/tests/\(harness)"]
                + arguments,
            in: root.path
        )
        try #require(result.status == 0, "\(harness): \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// What NixOS makes of the module for `settings` (services.homelab-reconciler as JSON).
    static func module(_ settings: String, package: Bool = true) throws -> [String: Any] {
        try evaluate("eval-module.nix", ["--argstr", "settings", settings, "--arg", "withPackage", "\(package)"])
    }

    static func service(_ settings: String) throws -> [String: Any] {
        let result = try module(settings)
        #expect((result["failedAssertions"] as? [String]) == [], "\(result)")
        return try #require(result["service"] as? [String: Any], "\(result)")
    }

    /// ExecStart split into words the way a shell does (escapeShellArgs quotes for one).
    static func words(_ execStart: String) throws -> [String] {
        let result = try Command.run(["sh", "-c", "eval \"set -- $1\"; printf '%s\\n' \"$@\"", "sh", execStart])
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    static func execStart(_ service: [String: Any]) throws -> [String] {
        let config = try #require(service["serviceConfig"] as? [String: Any])
        return try words(try #require(config["ExecStart"] as? String))
    }

    @Test func everyNixFileParses() throws {
        try Self.requireNix()
        let listed = try Command.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.nix"],
            in: Self.root.path
        )
        let files = listed.stdout.split(separator: "\n").map(String.init)
        for needed in [
            "flake.nix", "nix/package.nix", "nix/swiftpm-deps.nix", "nixos/flake.nix", "nixos/modules/reconciler.nix",
        ] {
            #expect(files.contains(needed), "\(needed) is in the repository")
        }
        for file in files {
            let result = try Command.run(["nix-instantiate", "--parse", file], in: Self.root.path)
            #expect(result.status == 0, "\(file): \(result.stderr)")
        }
    }

    @Test func theModulesUnitIsWhatADaemonThatSwitchesItsOwnSystemNeeds() throws {
        let service = try Self.service(#"{"enable": true}"#)
        #expect(service["restartIfChanged"] as? Bool == false, "a switch must not restart the daemon running it")
        #expect((service["wants"] as? [String])?.contains("docker.service") == true)
        #expect((service["after"] as? [String])?.contains("docker.service") == true)
        #expect((service["requires"] as? [String]) == [], "Requires=docker.service stops the daemon with Docker")
        let config = try #require(service["serviceConfig"] as? [String: Any])
        #expect(config["Restart"] as? String == "always", "the self-restart is a clean exit")
        #expect(config["LimitNOFILE"] as? Int == 65536)
        #expect(config["UMask"] as? String == "0022")
        #expect(config["StateDirectory"] as? String == "reconciler")
        let environment = try #require(service["environment"] as? [String: String])
        #expect(environment["RECONCILER_UNIT_FILE"] == "/etc/systemd/system/homelab-reconciler.service")

        let argv = try Self.execStart(service)
        #expect(argv.first?.hasSuffix("-reconciler-0.1.0/bin/reconciler") == true, "\(argv)")
        #expect(
            Array(argv.dropFirst()) == [
                "run", "--repo", "/opt/homelab", "--state-dir", "/var/lib/reconciler", "--host", "homelab-hl15",
            ]
        )
        #expect(!argv.contains("--listen"), "the repository's webhook.listen applies")
        #expect(!argv.contains("--config"), "no host config when nothing host-side is set")
    }

    @Test func listenAndFirewallOnlyWhenSet() throws {
        let result = try Self.module(#"{"enable": true, "webhook": {"listen": "0.0.0.0:9000"}, "openFirewall": true}"#)
        let service = try #require(result["service"] as? [String: Any])
        let argv = try Self.execStart(service)
        let at = try #require(argv.firstIndex(of: "--listen"))
        #expect(argv[at + 1] == "0.0.0.0:9000")
        #expect(result["firewallPorts"] as? [Int] == [9000])

        let refused = try Self.module(#"{"enable": true, "openFirewall": true}"#)
        #expect(
            (refused["failedAssertions"] as? [String])?.first?.contains("openFirewall needs webhook.listen") == true
        )
    }

    @Test func execStartKeepsEachArgumentWhole() throws {
        let service = try Self.service(
            #"{"enable": true, "repo": "/srv/home lab's repo", "host": "a;b", "pollInterval": "$(reboot)"}"#
        )
        let argv = try Self.execStart(service)
        #expect(argv.contains("/srv/home lab's repo"), "\(argv)")
        #expect(argv.contains("a;b"))
        #expect(argv.contains("$(reboot)"))
    }

    @Test func withoutAPackageEvaluationStopsSayingWhatToSet() throws {
        let result = try Self.module(#"{"enable": true}"#, package: false)
        let messages = try #require(result["failedAssertions"] as? [String])
        #expect(messages.count == 1, "\(messages)")
        let message = messages.first ?? ""
        #expect(message.contains("services.homelab-reconciler.package is not set"))
        #expect(message.contains("reconciler.nixosModules.default"))
        #expect(message.contains("reconciler.overlays.default"))
        #expect(result["service"] is NSNull)
        // The overlay's package is the default: nothing to set when it is there.
        let overlaid = try Self.module(#"{"enable": true}"#, package: true)
        #expect((overlaid["systemPackages"] as? [String])?.first?.hasSuffix("-reconciler-0.1.0") == true)
    }

    @Test func secretInputsNeverComeFromTheStore() throws {
        let cases = [
            ("webhook.secretFile", #"{"webhook": {"secretFile": "/nix/store/abc-webhook.secret"}}"#),
            ("auth.tokenFile", #"{"auth": {"tokenFile": "/nix/store/abc-token"}}"#),
            ("notify.0.urlFile", #"{"notify": [{"kind": "discord", "urlFile": "/nix/store/abc-url"}]}"#),
            (
                "notify.0.tokenFile",
                #"{"notify": [{"kind": "gotify", "url": "https://g", "tokenFile": "/nix/store/t"}]}"#
            ),
            ("sops.ageKeyFile", #"{"sops": {"ageKeyFile": "/nix/store/abc-age.key"}}"#),
            ("forge.tokenFile", #"{"forge": {"kind": "github", "repository": "a/b", "tokenFile": "/nix/store/f"}}"#),
        ]
        for (option, json) in cases {
            let settings = "{\"enable\": true, " + json.dropFirst()
            let result = try Self.module(String(settings))
            let messages = result["failedAssertions"] as? [String] ?? []
            #expect(
                messages.contains { $0.contains("services.homelab-reconciler.\(option) is in the Nix store") },
                "\(option): \(messages)"
            )
        }
    }

    @Test func secretInputsReachTheDaemonAsPathsInItsHostConfig() throws {
        let service = try Self.service(
            #"""
            {"enable": true,
             "webhook": {"secretFile": "/var/lib/reconciler/webhook.secret"},
             "auth": {"tokenFile": "/var/lib/reconciler/git.token"},
             "notify": [{"kind": "discord", "urlFile": "/var/lib/reconciler/discord.url", "events": ["failed"],
                         "_module": {"args": {}}}],
             "sops": {"ageKeyFile": "/var/lib/reconciler/age.key"},
             "forge": {"kind": "gitea", "repository": "me/homelab", "apiURL": "https://git.example",
                       "tokenFile": "/var/lib/reconciler/forge.token"}}
            """#
        )
        let argv = try Self.execStart(service)
        let secret = try #require(argv.firstIndex(of: "--webhook-secret-file"))
        #expect(argv[secret + 1] == "/var/lib/reconciler/webhook.secret")
        let config = try #require(argv.firstIndex(of: "--config"))
        let file = argv[config + 1]
        #expect(file.hasPrefix("/nix/store/") && file.hasSuffix("-reconciler-host-config.json"), "\(file)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        )
        #expect((json["sops"] as? [String: String]) == ["ageKeyFile": "/var/lib/reconciler/age.key"])
        #expect((json["auth"] as? [String: String]) == ["tokenFile": "/var/lib/reconciler/git.token"])
        let notify = try #require((json["notify"] as? [[String: Any]])?.first)
        #expect(notify["urlFile"] as? String == "/var/lib/reconciler/discord.url")
        // No null url, and not the module system's own `_module` (a submodule value carries it in NixOS).
        #expect(Set(notify.keys) == ["kind", "urlFile", "events"], "\(notify)")
        let forge = try #require(json["forge"] as? [String: String])
        #expect(
            forge == [
                "kind": "gitea", "repository": "me/homelab", "apiURL": "https://git.example",
                "tokenFile": "/var/lib/reconciler/forge.token",
            ]
        )

        // An operator's own file wins over the generated one.
        let own = try Self.service(
            #"{"enable": true, "configFile": "/etc/reconciler/config.json", "sops": {"ageKeyFile": "/k"}}"#
        )
        let ownArgv = try Self.execStart(own)
        #expect(ownArgv.suffix(2) == ["--config", "/etc/reconciler/config.json"], "\(ownArgv)")
    }

    @Test func systemdUnitVerifies() throws {
        // Debian's base image has systemd-analyze; a machine without it fails here rather than skipping quietly.
        try #require(Self.available("systemd-analyze"), "systemd-analyze is missing: apt-get install systemd")
        let dir = try TemporaryDirectory(prefix: "unit")
        defer { dir.remove() }
        let unit = try String(
            contentsOf: Self.root.appendingPathComponent("contrib/reconciler.service"),
            encoding: .utf8
        )
        let lines = unit.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        #expect(lines.contains("After=network-online.target docker.service"))
        #expect(lines.contains("Wants=network-online.target docker.service"))
        #expect(!lines.contains { $0.hasPrefix("Requires=") }, "Requires= stops the reconciler with Docker")
        #expect(lines.contains("Restart=always"))
        #expect(lines.contains("LimitNOFILE=65536"))
        #expect(lines.contains("UMask=0022"))
        #expect(lines.contains("Environment=RECONCILER_UNIT_FILE=/etc/systemd/system/reconciler.service"))
        // Point ExecStart at the built binary so verify can check it exists.
        let path = dir.appending("reconciler.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/reconciler", with: ReconcilerBinary.path)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Command.run(["systemd-analyze", "verify", "--man=no", path])
        let problems = result.output.split(separator: "\n").filter {
            // A build machine without Docker's unit file installed: not the unit's fault.
            !$0.contains("docker.service") && !$0.contains("nixbld")
        }
        #expect(result.status == 0 || problems.isEmpty, "\(result.output)")
    }

    // MARK: - The package

    /// Package.resolved's pins: identity -> (location, version). `swift build` writes it (it is git-ignored).
    static func resolvedPins() throws -> [String: (location: String, version: String)] {
        let url = root.appendingPathComponent("Package.resolved")
        let data = try #require(try? Data(contentsOf: url), "no Package.resolved: swift package resolve")
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var pins: [String: (location: String, version: String)] = [:]
        for pin in json["pins"] as? [[String: Any]] ?? [] {
            let state = pin["state"] as? [String: Any]
            pins[pin["identity"] as? String ?? ""] = (
                pin["location"] as? String ?? "", state?["version"] as? String ?? ""
            )
        }
        return pins
    }

    static func pinnedDependencies() throws -> [String: [String: String]] {
        try requireNix()
        let result = try Command.run(
            ["nix-instantiate", "--eval", "--strict", "--json", "nix/swiftpm-deps.nix"],
            in: root.path
        )
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: String]]
        )
    }

    @Test func pinnedDependenciesAreExactlyWhatPackageResolvedResolves() throws {
        let pins = try Self.resolvedPins()
        let pinned = try Self.pinnedDependencies()
        #expect(
            Set(pinned.keys) == Set(pins.keys),
            "run make nix-deps: \(Set(pinned.keys).symmetricDifference(pins.keys))"
        )
        for (identity, pin) in pins {
            guard let entry = pinned[identity] else { continue }
            #expect(
                entry["version"] == pin.version,
                "\(identity): nix/swiftpm-deps.nix has \(entry["version"] ?? "-"), Package.resolved \(pin.version): run make nix-deps"
            )
            #expect(entry["location"] == pin.location, "\(identity)")
            #expect(
                entry["tag"] == pin.version || entry["tag"] == "v" + pin.version,
                "\(identity): pinned by its release tag"
            )
            #expect(
                "https://github.com/\(entry["owner"] ?? "")/\(entry["repo"] ?? "")"
                    == pin.location.replacingOccurrences(of: ".git", with: "", options: .anchored.union(.backwards))
            )
            let hash = entry["hash"] ?? ""
            #expect(
                hash.hasPrefix("sha256-") && hash.count == 51 && hash.hasSuffix("="),
                "\(identity): SRI sha256, found \(hash)"
            )
            #expect(entry["rev"] == nil && entry["revision"] == nil, "\(identity): never a commit id")
        }
    }

    /// The pinned hash is the tree hash of the tag's export (what fetchFromGitHub checks), recomputed for one small
    /// dependency from the local package mirror when there is one.
    @Test func aPinnedHashIsTheTagsTreeHash() throws {
        let pinned = try Self.pinnedDependencies()
        let entry = try #require(pinned["swift-service-context"])
        let mirror = "/opt/swift-packages/\(entry["owner"]!)/\(entry["repo"]!).git"
        try #require(FileManager.default.fileExists(atPath: mirror), "no package mirror at \(mirror)")
        let dir = try TemporaryDirectory(prefix: "tree")
        defer { dir.remove() }
        let export = try Command.run(
            [
                "sh", "-c", "git -C \"$1\" archive \"refs/tags/$2\" | tar -x -C \"$3\"", "sh", mirror, entry["tag"]!,
                dir.path,
            ]
        )
        try #require(export.status == 0, "\(export.output)")
        let hash = try Command.run(["nix", "hash", "path", "--extra-experimental-features", "nix-command", dir.path])
        #expect(hash.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == entry["hash"])
    }

    @Test func theFlakeBuildsThePackageWithNixpkgsSwiftAndThePinnedDependencies() throws {
        let result = try Self.evaluate("eval-package.nix", ["--argstr", "checkouts", "/checkouts"])
        #expect((result["packages"] as? [String: [String]])?["x86_64-linux"] == ["default", "reconciler"])
        #expect(result["defaultIsReconciler"] as? Bool == true)
        #expect(result["overlayIsReconciler"] as? Bool == true)
        #expect((result["nixosModules"] as? [String])?.contains("default") == true)
        #expect((result["flakeInputs"] as? [String: String])?["nixpkgs"] == "github:NixOS/nixpkgs/nixos-unstable")
        #expect(result["nativeBuildInputs"] as? [String] == ["swift", "swiftpm", "pkg-config"])
        #expect(result["buildInputs"] as? [String] == ["libgit2", "sqlite"])
        let fetches = try #require(result["fetches"] as? [String: [String: String]])
        let pinned = try Self.pinnedDependencies()
        #expect(Set(fetches.keys) == Set(pinned.keys), "one fetch per dependency")
        for (identity, fetch) in fetches {
            #expect(
                fetch["tag"] == pinned[identity]?["tag"] && fetch["hash"] == pinned[identity]?["hash"],
                "\(identity)"
            )
        }
    }

    /// The package's configure phase, run on this source with the mirror's tag exports standing in for
    /// fetchFromGitHub: SwiftPM then resolves the whole graph with no network and no git (the system git
    /// configuration that points GitHub at the mirror is switched off).
    @Test func theConfigurePhaseLetsSwiftPMResolveOffline() throws {
        let pinned = try Self.pinnedDependencies()
        let dir = try TemporaryDirectory(prefix: "nix-configure")
        defer { dir.remove() }
        let checkouts = dir.appending("checkouts")
        for entry in pinned.values {
            let mirror = "/opt/swift-packages/\(entry["owner"]!)/\(entry["repo"]!).git"
            try #require(FileManager.default.fileExists(atPath: mirror), "no package mirror at \(mirror)")
            let target = "\(checkouts)/\(entry["repo"]!)"
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            let export = try Command.run(
                [
                    "sh", "-c", "git -C \"$1\" archive \"refs/tags/$2\" | tar -x -C \"$3\"", "sh", mirror,
                    entry["tag"]!, target,
                ]
            )
            try #require(export.status == 0, "\(export.output)")
        }
        let result = try Self.evaluate("eval-package.nix", ["--argstr", "checkouts", checkouts])
        let configure = try #require(result["configurePhase"] as? String)
        let source = dir.appending("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        for item in ["Package.swift", "Sources", "Tests"] {
            try FileManager.default.copyItem(
                atPath: Self.root.appendingPathComponent(item).path,
                toPath: "\(source)/\(item)"
            )
        }
        let ran = try Command.run(["bash", "-euc", "runHook() { :; }\n" + configure], in: source)
        try #require(ran.status == 0, "\(ran.output)")
        let swift =
            FileManager.default.fileExists(atPath: "/opt/swift/usr/bin/swift") ? "/opt/swift/usr/bin/swift" : "swift"
        let resolved = try Command.run(
            [swift, "package", "show-dependencies", "--disable-automatic-resolution", "--format", "json"],
            in: source,
            environment: ["GIT_CONFIG_NOSYSTEM": "1", "HOME": dir.appending("home")]
        )
        try #require(resolved.status == 0, "\(resolved.output)")
        var graph = Set<String>()
        func walk(_ node: [String: Any]) {
            for child in node["dependencies"] as? [[String: Any]] ?? [] {
                graph.insert(child["identity"] as? String ?? "")
                #expect((child["path"] as? String)?.hasPrefix("\(source)/Packages/") == true, "\(child["path"] ?? "")")
                walk(child)
            }
        }
        walk(try #require(try JSONSerialization.jsonObject(with: Data(resolved.stdout.utf8)) as? [String: Any]))
        #expect(graph == Set(pinned.keys), "\(graph.symmetricDifference(pinned.keys))")
        let cloned = (try? FileManager.default.contentsOfDirectory(atPath: "\(source)/.build/repositories")) ?? []
        #expect(cloned.isEmpty, "nothing was cloned: \(cloned)")
    }
}
