import Foundation
import ReconcilerTesting
import Testing

/// What the command line adds to the front, with no Docker engine involved: the lock (exit 4) and the defaults
/// from the environment.
@Suite struct CommandLineTests {
    /// A homelab with one service and a deploy clone; nothing is deployed, so nothing needs an engine.
    private func homelab() throws -> Homelab {
        let homelab = try Homelab()
        try homelab.commit(
            [
                "reconciler.json": homelab.config(),
                "services/web/compose.yml": Homelab.service(version: "1"),
            ],
            message: "initial"
        )
        try homelab.cloneDeploy()
        return homelab
    }

    @Test func commandsThatChangeThingsExitFourUnderTheLockAndDryRunTakesNone() throws {
        let homelab = try homelab()
        defer { homelab.dir.remove() }
        try FileManager.default.createDirectory(atPath: homelab.stateDir, withIntermediateDirectories: true)
        let lock = "\(homelab.stateDir)/reconciler.lock"
        let ready = homelab.dir.appending("locked")
        let holder = try SpawnedProcess(["flock", "-n", lock, "sh", "-c", #"touch "$0"; exec sleep 60"#, ready])
        defer {
            holder.kill(SIGKILL)
            holder.wait()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: ready) && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        #expect(holder.isRunning, "flock holds the lock")

        for args in [
            ["sync"], ["stop", "web"], ["deploy", "web"], ["restart", "web"], ["rollback", "HEAD"], ["resume"],
        ] {
            let result = try ReconcilerBinary.run(args, homelab: homelab)
            #expect(result.status == 4, "\(args.joined(separator: " ")) under the lock: \(result.output)")
            #expect(result.stderr.contains(lock), "the message names the lock: \(result.output)")
        }
        let dryRun = try ReconcilerBinary.run(["sync", "--dry-run"], homelab: homelab)
        #expect(dryRun.status == 0, "a dry run takes no lock: \(dryRun.output)")
        #expect(dryRun.stdout.contains("web"), "and prints the plan: \(dryRun.output)")
        for args in [["status"], ["history"], ["plan"]] {
            #expect(try ReconcilerBinary.run(args, homelab: homelab).status != 4, "\(args) reads without the lock")
        }
    }

    @Test func repoAndStateDirDefaultFromTheEnvironment() throws {
        let homelab = try homelab()
        defer { homelab.dir.remove() }
        let result = try Command.run(
            [ReconcilerBinary.path, "history", "--json"],
            environment: ["RECONCILER_REPO": homelab.deploy, "RECONCILER_STATE_DIR": homelab.stateDir]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.filter { !$0.isWhitespace } == "[]", "no deployments yet: \(result.output)")
        #expect(FileManager.default.fileExists(atPath: "\(homelab.stateDir)/state.sqlite"), "the state went there")

        let missing = try Command.run(
            [ReconcilerBinary.path, "status"],
            environment: [
                "RECONCILER_REPO": homelab.dir.appending("nowhere"), "RECONCILER_STATE_DIR": homelab.stateDir,
            ]
        )
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("RECONCILER_REPO"), "says how to point it elsewhere: \(missing.output)")
    }

    @Test func configFileGovernsInsteadOfTheRepositorysOwn() throws {
        let homelab = try homelab()
        defer { homelab.dir.remove() }
        let config = homelab.dir.appending("host.json")
        try #"{ "services": { "root": "elsewhere" } }"#.write(toFile: config, atomically: true, encoding: .utf8)
        func units(_ extra: [String]) throws -> [String] {
            let plan = try ReconcilerBinary.run(["plan", "--to", "HEAD", "--json"] + extra, homelab: homelab)
            #expect(plan.status == 0, "\(plan.output)")
            return try decodeJSON(plan.stdout)["units"] as? [String] ?? ["not a plan"]
        }
        #expect(try units([]) == ["web"], "the repository's reconciler.json: services under services/")
        #expect(try units(["--config", config]) == [], "the host's file: services under elsewhere/, which has none")
        let bogus = try ReconcilerBinary.run(
            ["plan", "--json", "--config", homelab.dir.appending("no-such.json")],
            homelab: homelab
        )
        #expect(bogus.status == 1)
        #expect(bogus.stderr.contains("no-such.json"), "\(bogus.output)")
    }
}
