import Foundation
import ReconcilerTesting
import Testing

/// The real daemon restarts itself after a switch that changed its own unit (the module's restartIfChanged = false):
/// the deploy finishes and is recorded, then the process exits 0 for systemd's Restart=always.
@Suite(.serialized)
struct SelfRestartDaemonTests {
    @Test func aSwitchThatRewritesTheDaemonsUnitEndsItCleanlyOnceTheDeployIsRecorded() throws {
        try DockerRig.requireEngine()
        let homelab = try Homelab()
        defer { homelab.tearDown(projects: []) }
        // A NixOS-like unit: a link to the unit's file in a store path, which a switch relinks.
        let unit = homelab.dir.appending("homelab-reconciler.service")
        let oldUnit = homelab.dir.appending("old.service")
        let newUnit = homelab.dir.appending("new.service")
        try "ExecStart=/nix/store/aaa-reconciler/bin/reconciler run\n".write(
            toFile: oldUnit,
            atomically: true,
            encoding: .utf8
        )
        try "ExecStart=/nix/store/bbb-reconciler/bin/reconciler run\n".write(
            toFile: newUnit,
            atomically: true,
            encoding: .utf8
        )
        try FileManager.default.createSymbolicLink(atPath: unit, withDestinationPath: oldUnit)
        // The stand-in switch relinks the unit when the configuration asks for a new reconciler.
        let switchScript = try String(contentsOfFile: homelab.switchScript, encoding: .utf8)
        try
            (switchScript
            + "\ngrep -q newReconciler nixos/configuration.nix && ln -sfn '\(newUnit)' '\(unit)'\nexit 0\n")
            .write(toFile: homelab.switchScript, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: homelab.switchScript)

        let first = try homelab.commit(
            ["reconciler.json": homelab.config(), "nixos/configuration.nix": "{ ... }: { }\n"],
            message: "homelab"
        )
        try homelab.cloneDeploy()
        let daemon = try DaemonProcess(
            homelab: homelab,
            arguments: ["--poll-interval", "1h", "--no-heal"],
            environment: ["RECONCILER_UNIT_FILE": unit]
        )
        defer { daemon.stop() }
        try #require(daemon.waitFor(120) { daemon.deployedCommit() == first } != nil, "first deploy:\n\(daemon.log)")

        // A switch that leaves the unit alone: the daemon stays (the poll after it is answered).
        let other = try homelab.commit(
            ["nixos/configuration.nix": "{ ... }: { time.timeZone = \"UTC\"; }\n"],
            message: "tz"
        )
        #expect(try ReconcilerBinary.run(["trigger"], homelab: homelab).status == 0)
        try #require(daemon.waitFor(120) { daemon.deployedCommit() == other } != nil, "second deploy:\n\(daemon.log)")
        #expect(daemon.process.isRunning, "\(daemon.log)")

        // The switch to a new reconciler relinks its unit: the deploy is recorded, then the daemon exits 0.
        let upgrade = try homelab.commit(
            ["nixos/configuration.nix": "{ ... }: { newReconciler = true; }\n"],
            message: "new reconciler"
        )
        #expect(try ReconcilerBinary.run(["trigger"], homelab: homelab).status == 0)
        let exited = daemon.waitFor(120) { !daemon.process.isRunning }
        try #require(exited != nil, "the daemon did not exit after its unit changed:\n\(daemon.log)")
        #expect(daemon.process.wait() == 0)
        #expect(daemon.log.contains("restarting"), "\(daemon.log)")
        #expect(daemon.log.contains("the unit file \(unit) changed"), "\(daemon.log)")
        let status = try ReconcilerBinary.run(["status", "--json"], homelab: homelab)
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let deployed = (json?["deployed"] as? [String: Any])?["commit"] as? String
        #expect(deployed == upgrade, "the switch's deployment was written before the exit:\n\(status.output)")
    }
}
