import Foundation
import ReconcilerTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The NixOS system step end to end: the real binary, real git, the rig's Docker engine (or a private one), and
/// ``StandInNixOS`` for the profile, its generations, `nixos-rebuild build` and `nix-env`.
@Suite(.serialized)
struct SystemStepTests {
    /// A lab whose reconciler.json runs the phased system step on a stand-in NixOS.
    struct NixLab {
        let lab: Lab
        let nixos: StandInNixOS

        /// - Parameters:
        ///   - confirmTimeout: `system.confirmTimeout`.
        ///   - confirm: `system.confirm`, as JSON.
        ///   - restartAlways: The services come back by themselves when their engine restarts.
        init(confirmTimeout: String = "5s", confirm: String = "[]", restartAlways: Bool = false) throws {
            let root = try TemporaryDirectory(prefix: "nixos")
            let nixos = try StandInNixOS(root: root.path)
            var pending: [String: String?] = [:]
            let lab = try Lab(cloned: true)
            let service = Homelab.service(version: "1", extra: restartAlways ? "    restart: always" : "")
            for unit in [lab.db, lab.app, lab.web] { pending["services/\(unit)/compose.yml"] = service }
            pending["reconciler.json"] = """
                {
                  "system": {
                    "switch": ["nixos-rebuild", "switch", "--flake", "./nixos#homelab"],
                    "build": ["\(nixos.buildScript)", "--flake", "./nixos#homelab"],
                    "profile": "\(nixos.profile)",
                    "confirmTimeout": "\(confirmTimeout)",
                    "confirm": \(confirm)
                  },
                  "services": { "healthTimeout": "30s", "parallelism": 2 },
                  "units": { "\(lab.app)": { "dependsOn": ["\(lab.db)"] }, "\(lab.web)": { "dependsOn": ["\(lab.app)"] } }
                }

                """
            try lab.homelab.commit(pending, message: "Phased system step")
            self.lab = lab
            self.nixos = nixos
        }

        func run(_ args: String..., engine: PrivateEngine? = nil) throws -> CommandResult {
            var environment = [
                "PATH": "\(nixos.binDirectory):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"
            ]
            if let engine { environment["DOCKER_HOST"] = engine.host }
            return try ReconcilerBinary.run(args, homelab: lab.homelab, extraEnvironment: environment)
        }

        /// Commits a change to the system (nixos/) and returns its sha.
        @discardableResult
        func changeSystem(_ text: String) throws -> String {
            try lab.homelab.commit(["nixos/configuration.nix": "{ ... }: { \(text) }\n"], message: "system: \(text)")
        }

        /// The calls the stand-in recorded since `count` earlier ones.
        func calls(after count: Int) -> [String] { Array(nixos.calls().dropFirst(count)) }

        func tearDown() {
            lab.tearDown()
            try? FileManager.default.removeItem(atPath: nixos.root)
        }
    }

    @Test func goodSwitchIsTestedConfirmedThenMadeTheBootDefault() throws {
        let nix = try NixLab(confirm: "[[\"true\"], {\"command\": [\"sh\", \"-c\", \"exit 0\"], \"timeout\": \"5s\"}]")
        defer { nix.tearDown() }
        let first = try nix.run("sync")
        #expect(first.status == 0, "\(first.output)")
        #expect(nix.nixos.bootDefault() == "gen-2")

        let before = nix.nixos.calls().count
        try nix.changeSystem("networking.firewall.enable = true;")
        let sync = try nix.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(
            nix.calls(after: before) == [
                "build --flake ./nixos#homelab", "test gen-3", "nix-env --set gen-3", "boot gen-3",
            ]
        )
        #expect(nix.nixos.bootDefault() == "gen-3")
        #expect(nix.nixos.active() == "gen-3")
        // The phases in the order the operator reads them.
        let phases = ["system: build", "system: test", "system: confirm", "system: confirmed in", "system: boot"]
        let positions = phases.compactMap { sync.output.range(of: $0)?.lowerBound }
        #expect(positions.count == phases.count && positions == positions.sorted(), "\(sync.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(nix.lab.homelab.deploy)/result"), "./result is removed")
        if let line = sync.output.split(separator: "\n").first(where: { $0.contains("system: confirmed in") }) {
            print("measured: \(line)")
        }
    }

    /// The new generation breaks something at `test`; the step falls back to the previous generation (no build),
    /// confirms it again, and the commit is rolled back and remembered as failed, naming the check.
    private func brokenSwitchFallsBack(
        _ nix: NixLab,
        engine: PrivateEngine? = nil,
        breaking snippet: String,
        repair: String? = nil,
        expect failedCheck: String
    ) throws {
        let first = try nix.run("sync", engine: engine)
        #expect(first.status == 0, "\(first.output)")
        let deployed = try nix.lab.homelab.git(["rev-parse", "HEAD"])
        if let repair { try nix.nixos.repair(repair) }
        try nix.nixos.breakNext(snippet)
        let before = nix.nixos.calls().count
        let broken = try nix.changeSystem("networking.nameservers = [ \"10.9.9.9\" ];")
        let sync = try nix.run("sync", engine: engine)
        #expect(sync.status == 2, "\(sync.output)")
        #expect(
            nix.calls(after: before) == ["build --flake ./nixos#homelab", "test gen-3", "switch gen-2"],
            "no build during the fallback, never a boot of gen-3"
        )
        #expect(nix.nixos.bootDefault() == "gen-2")
        #expect(nix.nixos.active() == "gen-2")
        #expect(sync.output.contains(failedCheck), "\(sync.output)")

        #expect(
            try nix.lab.homelab.git(["rev-parse", "HEAD"], in: nix.lab.homelab.deploy) == deployed,
            "checked out again"
        )
        let history = try decodeJSONArray(try nix.run("history", "--json", "--limit", "1", engine: engine).stdout)
        #expect(history.first?["result"] as? String == "rolledBack")
        #expect((history.first?["message"] as? String)?.contains(failedCheck) == true, "\(history)")
        let again = try nix.run("sync", engine: engine)
        #expect(again.output.contains("not retried"), "\(broken) is remembered as failed: \(again.output)")
        let environment = engine.map { ["DOCKER_HOST": $0.host] } ?? DockerRig.environment
        for project in nix.lab.projects {
            let running = try Command.check(
                [
                    "docker", "ps", "-q", "--filter", "label=com.docker.compose.project=\(project)", "--filter",
                    "health=healthy",
                ],
                environment: environment
            )
            #expect(!running.isEmpty, "\(project) runs and is healthy")
        }
    }

    @Test func activationThatFailsFallsBackToThePreviousGeneration() throws {
        let nix = try NixLab()
        defer { nix.tearDown() }
        try brokenSwitchFallsBack(nix, breaking: "echo 'broken on purpose' >&2; exit 1", expect: "broken on purpose")
    }

    @Test func unreachableRemoteFallsBackToThePreviousGeneration() throws {
        let nix = try NixLab(confirmTimeout: "3s")
        defer { nix.tearDown() }
        let remote = nix.lab.homelab.remote
        try brokenSwitchFallsBack(
            nix,
            breaking: "mv '\(remote)' '\(remote).away'",
            repair: "if [ -d '\(remote).away' ]; then mv '\(remote).away' '\(remote)'; fi",
            expect: "remote check"
        )
        #expect(FileManager.default.fileExists(atPath: remote), "the old generation brought the remote back")
    }

    @Test func unhealthyServiceFallsBackToThePreviousGeneration() throws {
        let nix = try NixLab(confirmTimeout: "4s")
        defer { nix.tearDown() }
        let web = nix.lab.web
        let container = "docker ps -q --filter label=com.docker.compose.project=\(web)"
        try brokenSwitchFallsBack(
            nix,
            breaking: """
                c=$(\(container)); docker exec "$c" rm -f /tmp/ok
                for i in $(seq 100); do
                    [ "$(docker inspect -f '{{.State.Health.Status}}' "$c")" = unhealthy ] && exit 0; sleep 0.1
                done
                echo "\(web) did not turn unhealthy" >&2; exit 1
                """,
            repair: "c=$(\(container)); docker exec \"$c\" touch /tmp/ok",
            expect: "unit check"
        )
    }

    @Test func stoppedDockerEngineFallsBackToThePreviousGeneration() throws {
        let engine = try PrivateEngine()
        defer { engine.remove() }
        let nix = try NixLab(confirmTimeout: "20s", restartAlways: true)
        defer { nix.tearDown() }
        // The shared rig engine is never stopped: only this test's own.
        try brokenSwitchFallsBack(
            nix,
            engine: engine,
            breaking: engine.stop,
            repair: "if ! docker info >/dev/null 2>&1; then \(engine.start); fi",
            expect: "Docker check"
        )
    }

    @Test func oldGenerationThatDoesNotConfirmEitherIsDegraded() throws {
        let nix = try NixLab(confirmTimeout: "2s")
        defer { nix.tearDown() }
        let remote = nix.lab.homelab.remote
        #expect(try nix.run("sync").status == 0)
        try nix.nixos.breakNext("mv '\(remote)' '\(remote).away'")
        try nix.nixos.refuseRepair()
        let before = nix.nixos.calls().count
        try nix.changeSystem("networking.useDHCP = false;")
        let sync = try nix.run("sync")
        try? FileManager.default.moveItem(atPath: remote + ".away", toPath: remote)
        #expect(sync.status == 3, "\(sync.output)")
        #expect(nix.calls(after: before) == ["build --flake ./nixos#homelab", "test gen-3", "switch gen-2"])
        #expect(nix.nixos.bootDefault() == "gen-2")
        let status = try nix.run("status", "--json")
        #expect(try decodeJSON(status.stdout)["state"] as? String == "degraded", "\(status.output)")
        let again = try nix.run("sync")
        #expect(again.status == 3, "stops deploying: \(again.output)")
    }

    @Test func killDuringTheConfirmWindowIsRolledBackAtTheNextStart() throws {
        let nix = try NixLab(
            confirmTimeout: "60s",
            confirm:
                "[[\"sh\", \"-c\", \"[ -f \\\"$0\\\" ] || exit 0; touch \\\"$0.held\\\"; while [ ! -f \\\"$0.go\\\" ]; do sleep 0.1; done\", \"HOLD\"]]"
        )
        defer { nix.tearDown() }
        #expect(try nix.run("sync").status == 0)
        // The confirm check holds (the file HOLD in the work tree) until the test lets it go.
        let hold = "\(nix.lab.homelab.deploy)/HOLD"
        let before = nix.nixos.calls().count
        try nix.lab.homelab.commit(
            ["nixos/configuration.nix": "{ ... }: { boot.kernelParams = [ \"quiet\" ]; }\n"],
            message: "system change"
        )
        try "".write(toFile: hold, atomically: true, encoding: .utf8)
        defer { try? "".write(toFile: "\(hold).go", atomically: true, encoding: .utf8) }
        let path = "\(nix.nixos.binDirectory):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"
        let reconciler = try SpawnedProcess(
            [ReconcilerBinary.path, "sync", "--repo", nix.lab.homelab.deploy, "--state-dir", nix.lab.homelab.stateDir],
            environment: DockerRig.environment.merging([
                "PATH": path, "RECONCILER_HOST_CONFIG": nix.lab.homelab.dir.appending("host-config.json"),
            ]) { _, b in b }
        )
        try waitUntil("the confirm check holds", timeout: .seconds(120)) {
            FileManager.default.fileExists(atPath: "\(hold).held")
        }
        reconciler.kill(SIGKILL)
        _ = reconciler.wait()
        try "".write(toFile: "\(hold).go", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: hold)
        #expect(nix.calls(after: before) == ["build --flake ./nixos#homelab", "test gen-3"])
        #expect(nix.nixos.bootDefault() == "gen-2", "a reboot now boots the last confirmed generation")

        let restart = try nix.run("deploy", nix.lab.db)
        #expect(restart.status == 0, "\(restart.output)")
        #expect(nix.calls(after: before) == ["build --flake ./nixos#homelab", "test gen-3", "switch gen-2"])
        #expect(nix.nixos.bootDefault() == "gen-2")
        #expect(nix.nixos.active() == "gen-2")
        let history = try decodeJSONArray(try nix.run("history", "--json").stdout)
        let killed = try #require(history.first { ($0["message"] as? String)?.contains("interrupted") == true })
        #expect((killed["message"] as? String)?.contains("rolled back") == true, "\(killed)")
        let steps = (killed["steps"] as? [[String: Any]]) ?? []
        #expect(
            steps.contains {
                $0["phase"] as? String == "rollback" && $0["unit"] as? String == "system"
                    && $0["result"] as? String == "succeeded"
            },
            "\(steps)"
        )
    }

    @Test func kernelChangeIsReportedAsRebootNeeded() throws {
        let nix = try NixLab()
        defer { nix.tearDown() }
        #expect(try nix.run("sync").status == 0)
        try nix.nixos.changeKernelNext()
        try nix.changeSystem("boot.kernelPackages = pkgs.linuxPackages_latest;")
        let sync = try nix.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(nix.nixos.bootDefault() == "gen-3")
        #expect(sync.output.contains("Reboot needed for kernel"), "\(sync.output)")
        let status = try nix.run("status", "--json")
        #expect(try decodeJSON(status.stdout)["rebootNeeded"] as? [String] == ["kernel"], "\(status.output)")
        let text = try nix.run("status")
        #expect(text.output.contains("reboot needed for kernel"), "\(text.output)")
    }

    @Test func switchAloneKeepsTheOneCommandStepWithTheRemoteAndDockerChecks() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        let remote = lab.homelab.remote
        // A switch command that takes the forge away when the configuration says so, and brings it back otherwise.
        let script = lab.homelab.dir.appending("closing-switch.sh")
        try """
        #!/bin/sh
        echo "switch $*" >> '\(lab.homelab.switchLog)'
        if grep -q CLOSE nixos/configuration.nix; then mv '\(remote)' '\(remote).away'
        elif [ -d '\(remote).away' ]; then mv '\(remote).away' '\(remote)'; fi
        """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        try lab.homelab.commit(
            [
                "reconciler.json": lab.homelab.config(units: [lab.app: [lab.db], lab.web: [lab.app]])
                    .replacingOccurrences(of: lab.homelab.switchScript, with: script)
                    .replacingOccurrences(of: "\"system\": { ", with: "\"system\": { \"confirmTimeout\": \"3s\", ")
            ],
            message: "switch that can close the forge"
        )
        #expect(try lab.run("sync").status == 0)
        #expect(lab.homelab.switchCalls().count == 1, "the one command, as before")

        try lab.homelab.commit(
            ["nixos/configuration.nix": "{ ... }: { CLOSE }\n"],
            message: "firewall closes the forge"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 2, "\(sync.output)")
        #expect(sync.output.contains("remote check"), "\(sync.output)")
        #expect(sync.output.contains("not confirmed within 3s"), "confirmTimeout keeps the one-command step")
        #expect(lab.homelab.switchCalls().count == 3, "the switch, then the switch again with the previous commit")
        #expect(FileManager.default.fileExists(atPath: remote), "the previous configuration opened the forge again")
    }
}
