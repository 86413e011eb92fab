import Foundation
import ReconcilerTesting
import Testing

/// The fault matrix on real processes: the `reconciler` binary killed with SIGKILL at each phase of a deploy,
/// the rig's Docker engine stopped before and during one, and the remote gone. Each case ends with the deployed
/// commit, the state store and the containers telling the same truth, and the operator's ignored `.env` and
/// `data/` kept. Faults are placed without timing guesses (FaultRig.swift): a server that stalls the fetch, a Compose
/// wrapper that holds one call on a fifo, the health gate's own `ps` calls, and `RECONCILER_FAULT_PAUSE=checkout`.
@Suite(.serialized)
struct FaultMatrixTests {
    // MARK: SIGKILL at each phase

    @Test func sigkillDuringFetchChangesNothingAndTheNextSyncDeploys() throws {
        let lab = try Lab(extraFiles: Keepsakes.ignores)
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let base = try lab.homelab.git(["rev-parse", "HEAD"])
        let keepsakes = try Keepsakes(lab, unit: lab.web)
        let target = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )
        let server = try StallingGitServer(repository: lab.homelab.remote)
        defer { server.stop() }
        try HostFile.write(
            lab.homelab,
            "{ \"remote\": \"http://127.0.0.1:\(server.port)/homelab.git\", \"allowInsecureTransport\": true }"
        )

        let victim = try Victim(["sync"], lab.homelab)
        // Killed while the pack's objects arrive: the server has sent half of it and stalls.
        try waitUntil("the fetch receives half of the pack; it printed:\n\(victim.output)") {
            server.packBytesSent > 0
        }
        #expect(server.requests.first?.contains("/homelab.git/info/refs") == true, "\(server.requests)")
        #expect(victim.process.isRunning, "still fetching: \(victim.output)")
        victim.killHard()

        // Nothing had begun: no deployment, the work tree and the containers as they were.
        #expect(try historyResults(lab) == ["succeeded"])
        #expect(try lab.homelab.git(["rev-parse", "HEAD"], in: lab.homelab.deploy) == base)
        #expect(try Containers.version(lab.web) == "1")

        HostFile.remove(lab.homelab)
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try historyResults(lab) == ["succeeded", "succeeded"])
        try expectConsistent(lab, deployed: target, versions: [lab.db: "1", lab.app: "1", lab.web: "2"])
        let fsck = try Command.run(["git", "-C", lab.homelab.deploy, "fsck", "--no-dangling"])
        #expect(fsck.status == 0, "the deploy repository is sound: \(fsck.output)")
        keepsakes.expectKept()
    }

    @Test func sigkillDuringValidationIsRecoveredByTheNextSync() throws {
        let lab = try Lab(extraFiles: Keepsakes.ignores)
        defer { lab.tearDown() }
        let hold = try ComposeHold(lab.homelab)
        defer { hold.releaseAll() }
        #expect(try lab.run("sync").status == 0)
        let keepsakes = try Keepsakes(lab, unit: lab.web)
        let target = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )

        try hold.arm("config", lab.web)
        let victim = try Victim(["sync"], lab.homelab)
        try hold.waitHeld("config", lab.web)
        let steps = try lastDeploymentSteps(lab.homelab)
        #expect(
            steps.contains { $0 == ("validate", lab.web, "config", "running") },
            "the state shows the validation in flight: \(steps)"
        )
        victim.killHard()
        try hold.release("config", lab.web)
        #expect(try Containers.version(lab.web) == "1", "validation changes nothing")
        // The killed run's scratch copy (with the copied `.env`) is left under the state directory
        let scratch = "\(lab.homelab.stateDir)/tmp"
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch)
        #expect(!left.isEmpty, "the killed validation's scratch copy")

        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(sync.output.contains("interrupted"), "\(sync.output)")
        #expect(try historyResults(lab) == ["succeeded", "interrupted", "succeeded"])
        try expectConsistent(lab, deployed: target, versions: [lab.db: "1", lab.app: "1", lab.web: "2"])
        // … and the next run removed it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
        keepsakes.expectKept()
    }

    @Test func sigkillHalfWayThroughTheCheckoutIsRecoveredByTheNextSync() throws {
        let lab = try Lab(extraFiles: Keepsakes.ignores)
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let base = try lab.homelab.git(["rev-parse", "HEAD"])
        let keepsakes = try Keepsakes(lab, unit: lab.web)
        // A file new in the target that sorts before compose.yml: the checkout writes it first.
        let notes = "services/\(lab.web)/a-notes.conf"
        let target = try lab.homelab.commit(
            [notes: "notes of version 2\n", "services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2 with notes"
        )

        // libgit2 checks out in-process: the test-only pause stops the process after the checkout's first file.
        let victim = try Victim(["sync"], lab.homelab, environment: ["RECONCILER_FAULT_PAUSE": "checkout"])
        try victim.waitStopped()
        let deploy = lab.homelab.deploy
        #expect(FileManager.default.fileExists(atPath: "\(deploy)/\(notes)"), "the first file is written")
        let compose = try String(contentsOfFile: "\(deploy)/services/\(lab.web)/compose.yml", encoding: .utf8)
        #expect(compose.contains("homelab.version: \"1\""), "the rest is not")
        #expect(try lab.homelab.git(["rev-parse", "HEAD"], in: deploy) == base)
        victim.killHard()

        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(sync.output.contains("interrupted"), "\(sync.output)")
        #expect(try historyResults(lab) == ["succeeded", "interrupted", "succeeded"])
        try expectConsistent(lab, deployed: target, versions: [lab.db: "1", lab.app: "1", lab.web: "2"])
        keepsakes.expectKept()
    }

    @Test func sigkillWhileAComposeUpIsInFlightIsRecoveredByTheNextSync() throws {
        let lab = try Lab(extraFiles: Keepsakes.ignores)
        defer { lab.tearDown() }
        let hold = try ComposeHold(lab.homelab)
        defer { hold.releaseAll() }
        #expect(try lab.run("sync").status == 0)
        let keepsakes = try Keepsakes(lab, unit: lab.web)
        let target = try lab.homelab.commit(
            [
                "services/\(lab.app)/compose.yml": Homelab.service(version: "2"),
                "services/\(lab.web)/compose.yml": Homelab.service(version: "2"),
            ],
            message: "app and web v2"
        )

        try hold.arm("up", lab.web)
        let victim = try Victim(["sync"], lab.homelab)
        try hold.waitHeld("up", lab.web)
        let steps = try lastDeploymentSteps(lab.homelab)
        #expect(steps.contains { $0 == ("apply", lab.app, "up", "succeeded") }, "\(steps)")
        #expect(steps.contains { $0 == ("apply", lab.web, "up", "running") }, "\(steps)")
        victim.killHard()

        // The orphaned `compose up` is still in flight (held) when the next sync starts: its recovery waits for it
        // to finish before it touches the unit, and goes on once it has.
        let next = try Victim(["sync"], lab.homelab)
        try waitUntil("the next sync starts recovering; it printed:\n\(next.output)") {
            next.output.contains("was interrupted")
        }
        try hold.release("up", lab.web)
        let code = try next.exitStatus()
        #expect(code == 0, "\(next.output)")
        #expect(next.output.contains("Waited for"), "the recovery waited for the orphaned up: \(next.output)")
        let history = try decodeJSONArray(try lab.run("history", "--json").stdout)
        #expect(history.map { $0["result"] as? String ?? "" } == ["succeeded", "interrupted", "succeeded"])
        let recovered = (history.dropFirst().first?["steps"] as? [[String: Any]] ?? []).filter {
            $0["phase"] as? String == "rollback"
        }
        #expect(
            Set(recovered.compactMap { $0["unit"] as? String }) == [lab.app, lab.web],
            "the recovery brought back both units the killed run touched: \(recovered)"
        )
        try expectConsistent(lab, deployed: target, versions: [lab.db: "1", lab.app: "2", lab.web: "2"])
        keepsakes.expectKept()
    }

    @Test func sigkillInTheHealthGateIsRecoveredByTheNextSync() throws {
        let lab = try Lab(extraFiles: Keepsakes.ignores)
        defer { lab.tearDown() }
        // The gate waits as long as the test needs: nothing here may time out on its own.
        let hold = try ComposeHold(lab.homelab, hostSettings: "\"healthTimeout\": \"20m\"")
        defer { hold.releaseAll() }
        #expect(try lab.run("sync").status == 0)
        let keepsakes = try Keepsakes(lab, unit: lab.web)
        let gate = lab.homelab.dir.appending("gate")
        try FileManager.default.createDirectory(atPath: gate, withIntermediateDirectories: true)
        let target = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Self.gatedService(version: "2", gate: gate)],
            message: "web v2, healthy once the gate opens"
        )

        let earlier = hold.calls().count
        let victim = try Victim(["sync"], lab.homelab)
        // The health gate polls `compose ps` of the unit once its `up` has returned.
        try waitUntil("web's health gate polls its containers") { hold.gatePolling(lab.web, skipping: earlier) }
        let steps = try lastDeploymentSteps(lab.homelab)
        #expect(steps.contains { $0 == ("apply", lab.web, "up", "running") }, "\(steps)")
        #expect(try DockerRig.containers(project: lab.web).first?.health == "starting")
        victim.killHard()
        try "open\n".write(toFile: "\(gate)/open", atomically: true, encoding: .utf8)

        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(sync.output.contains("interrupted"), "\(sync.output)")
        #expect(try historyResults(lab) == ["succeeded", "interrupted", "succeeded"])
        try expectConsistent(lab, deployed: target, versions: [lab.db: "1", lab.app: "1", lab.web: "2"])
        keepsakes.expectKept()
    }

    @Test func sigkillDuringTheRollbacksUpIsRecoveredByTheNextSync() throws {
        let lab = try Lab(extraFiles: Keepsakes.ignores)
        defer { lab.tearDown() }
        let hold = try ComposeHold(lab.homelab)
        defer { hold.releaseAll() }
        #expect(try lab.run("sync").status == 0)
        let base = try lab.homelab.git(["rev-parse", "HEAD"])
        let keepsakes = try Keepsakes(lab, unit: lab.web)
        let target = try lab.homelab.commit(
            [
                "services/\(lab.app)/compose.yml": Homelab.service(version: "2"),
                "services/\(lab.web)/compose.yml": Homelab.service(version: "2", healthy: false),
            ],
            message: "app v2, web v2 unhealthy"
        )

        // web's first `up` is the apply's (it turns unhealthy); the second is the rollback's.
        try hold.arm("up", lab.web, call: 2)
        let victim = try Victim(["sync"], lab.homelab)
        try hold.waitHeld("up", lab.web)
        let steps = try lastDeploymentSteps(lab.homelab)
        #expect(steps.contains { $0 == ("apply", lab.web, "up", "failed") }, "\(steps)")
        #expect(steps.contains { $0 == ("rollback", lab.web, "up", "running") }, "\(steps)")
        victim.killHard()
        try hold.release("up", lab.web)

        // The next sync redoes the rollback, records the run as interrupted, then deploys the target again: web is
        // unhealthy again, so that deploy is rolled back and the target remembered as failed.
        let sync = try lab.run("sync")
        #expect(sync.status == 2, "\(sync.output)")
        #expect(sync.output.contains("interrupted"), "\(sync.output)")
        #expect(try historyResults(lab) == ["rolledBack", "interrupted", "succeeded"])
        try expectConsistent(
            lab,
            deployed: base,
            versions: [lab.db: "1", lab.app: "1", lab.web: "1"],
            state: "failed"
        )
        let report = try decodeJSON(try lab.run("status", "--json").stdout)
        #expect((report["failedCommit"] as? [String: Any])?["commit"] as? String == target)
        let again = try lab.run("sync")
        #expect(again.status == 0 && again.output.contains("not retried"), "\(again.output)")
        keepsakes.expectKept()
    }

    // MARK: The Docker engine stopped

    @Test func engineStoppedBeforeADeployIsAnOutageAndTheNextSyncDeploysWithoutResume() throws {
        let lab = try Lab(extraFiles: Keepsakes.ignores)
        defer { lab.tearDown() }
        defer { RigEngine.ensureRunning() }
        #expect(try lab.run("sync").status == 0)
        let base = try lab.homelab.git(["rev-parse", "HEAD"])
        let keepsakes = try Keepsakes(lab, unit: lab.web)
        let target = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )

        try RigEngine.stop()
        let down = try lab.run("sync")
        #expect(down.status == 1, "\(down.output)")
        let host = DockerRig.environment["DOCKER_HOST"] ?? ""
        #expect(down.output.contains("Docker engine unreachable at \(host)"), "\(down.output)")
        #expect(try lab.homelab.git(["rev-parse", "HEAD"], in: lab.homelab.deploy) == base, "nothing touched")
        let status = try lab.run("status", "--json")
        let report = try decodeJSON(status.stdout)
        #expect((report["deployed"] as? [String: Any])?["commit"] as? String == base)
        #expect(report["failedCommit"] == nil, "the commit is not marked failed: \(status.stdout)")
        let last = report["lastDeployment"] as? [String: Any]
        #expect((last?["message"] as? String)?.contains("Docker engine unreachable") == true, "\(status.stdout)")
        // Status shows the outage, not a failed deploy: its own state and exit code, the cause, the waiting commit.
        #expect(status.status == 1, "\(status.output)")
        #expect(report["state"] as? String == "outage", "\(status.stdout)")
        let outage = report["outage"] as? [String: Any]
        #expect(outage?["commit"] as? String == target, "\(status.stdout)")
        #expect((outage?["reason"] as? String)?.contains("Docker engine unreachable at \(host)") == true)
        let text = try lab.run("status")
        #expect(text.status == 1 && text.output.contains("state     OUTAGE"), "\(text.output)")
        #expect(text.output.contains("outage    since "), "\(text.output)")
        #expect(text.output.contains("Docker engine unreachable at \(host)"), "\(text.output)")
        // More syncs during the same outage add no line to the history.
        #expect(try lab.run("sync").status == 1)
        #expect(try lab.run("sync").status == 1)
        #expect(try historyResults(lab) == ["outage", "succeeded"], "one line for the outage")

        try RigEngine.start()
        // The engine's restart stopped every container; the deploy brings web's stopped dependencies back too.
        let back = try lab.run("sync")
        #expect(back.status == 0, "deployed without resume: \(back.output)")
        try expectConsistent(lab, deployed: target, versions: [lab.db: "1", lab.app: "1", lab.web: "2"])
        let after = try lab.run("status", "--json")
        #expect(after.status == 0, "the outage is gone from status: \(after.output)")
        #expect(try decodeJSON(after.stdout)["outage"] == nil, "\(after.stdout)")
        keepsakes.expectKept()
    }

    @Test func engineStoppedMidDeployEndsDegradedAndResumeThenSyncDeploys() throws {
        let lab = try Lab(extraFiles: Keepsakes.ignores)
        defer { lab.tearDown() }
        defer { RigEngine.ensureRunning() }
        let hold = try ComposeHold(lab.homelab)
        defer { hold.releaseAll() }
        #expect(try lab.run("sync").status == 0)
        let keepsakes = try Keepsakes(lab, unit: lab.web)
        let target = try lab.homelab.commit(
            [
                "services/\(lab.app)/compose.yml": Homelab.service(version: "2"),
                "services/\(lab.web)/compose.yml": Homelab.service(version: "2"),
            ],
            message: "app and web v2"
        )

        // app is up at v2; the engine goes away just as web's `up` starts.
        try hold.arm("up", lab.web)
        let victim = try Victim(["sync"], lab.homelab)
        try hold.waitHeld("up", lab.web)
        try RigEngine.stop()
        try hold.release("up", lab.web)
        let code = try victim.exitStatus()
        #expect(code == 3, "\(victim.output)")
        #expect(victim.output.contains("DEGRADED"), "\(victim.output)")
        let host = DockerRig.environment["DOCKER_HOST"] ?? ""
        #expect(victim.output.contains("Docker engine unreachable at \(host)"), "names the cause: \(victim.output)")
        let status = try lab.run("status")
        #expect(status.status == 3, "\(status.output)")
        #expect(status.output.contains("Docker engine unreachable at \(host)"), "\(status.output)")
        #expect(try lab.run("sync").status == 3, "no deploy while degraded")

        try RigEngine.start()
        let resume = try lab.run("resume")
        #expect(resume.status == 0, "\(resume.output)")
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        try expectConsistent(lab, deployed: target, versions: [lab.db: "1", lab.app: "2", lab.web: "2"])
        keepsakes.expectKept()
    }

    // MARK: The remote unreachable

    @Test func anUnreachableRemoteIsNamedChangesNothingAndTheNextSyncDeploys() throws {
        let lab = try Lab(extraFiles: Keepsakes.ignores)
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let base = try lab.homelab.git(["rev-parse", "HEAD"])
        let keepsakes = try Keepsakes(lab, unit: lab.web)
        let target = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )

        func expectUntouched(_ result: CommandResult) throws {
            #expect(result.status == 1, "\(result.output)")
            #expect(try historyResults(lab) == ["succeeded"], "no deployment was begun")
            let report = try decodeJSON(try lab.run("status", "--json").stdout)
            #expect((report["deployed"] as? [String: Any])?["commit"] as? String == base)
            #expect(report["failedCommit"] == nil)
            #expect(try lab.homelab.git(["rev-parse", "HEAD"], in: lab.homelab.deploy) == base)
            #expect(try Containers.version(lab.web) == "1")
        }

        // The remote's directory is gone (a disk not mounted, a repository moved).
        let away = lab.homelab.remote + ".away"
        try FileManager.default.moveItem(atPath: lab.homelab.remote, toPath: away)
        let gone = try lab.run("sync")
        #expect(gone.output.contains("cannot fetch main from origin"), "\(gone.output)")
        #expect(
            Self.errorLines(gone).components(separatedBy: lab.homelab.remote).count == 2,
            "names where, once: \(gone.output)"
        )
        #expect(gone.output.contains("the path does not exist"), "the cause is kept: \(gone.output)")
        try expectUntouched(gone)
        try FileManager.default.moveItem(atPath: away, toPath: lab.homelab.remote)

        // A server nobody listens on, with credentials in the URL: named, the password masked.
        let password = "hunter2-\(lab.homelab.tag)-pw"
        let port = try Self.closedPort()
        try HostFile.write(lab.homelab, "{ \"remote\": \"https://deploy:\(password)@127.0.0.1:\(port)/homelab.git\" }")
        let refused = try lab.run("sync")
        #expect(refused.output.contains("cannot fetch main from https://deploy"), "\(refused.output)")
        #expect(
            Self.errorLines(refused).components(separatedBy: "127.0.0.1:\(port)/homelab.git").count == 2,
            "the URL is named once: \(refused.output)"
        )
        #expect(refused.output.lowercased().contains("connect"), "the cause is kept: \(refused.output)")
        try expectUntouched(refused)
        // Status shows the fetch outage (the last fetched head waits), the URL's password masked.
        let fetchStatus = try lab.run("status", "--json")
        #expect(fetchStatus.status == 1, "\(fetchStatus.output)")
        let fetchReport = try decodeJSON(fetchStatus.stdout)
        #expect(fetchReport["state"] as? String == "outage", "\(fetchStatus.stdout)")
        let fetchOutage = fetchReport["outage"] as? [String: Any]
        let fetchReason = fetchOutage?["reason"] as? String ?? ""
        #expect(
            fetchReason.hasPrefix(
                "fetch failed: cannot fetch main from https://deploy@127.0.0.1:\(port)/homelab.git: "
            ),
            "\(fetchStatus.stdout)"
        )
        #expect(fetchOutage?["commit"] as? String == base, "the newest commit known waits: \(fetchStatus.stdout)")
        for command in [["status", "--json"], ["history", "--json"], ["status"]] {
            let result = try ReconcilerBinary.run(command, homelab: lab.homelab)
            #expect(!result.output.contains(password), "\(command)")
        }
        #expect(!refused.output.contains(password), "\(refused.output)")

        HostFile.remove(lab.homelab)
        let back = try lab.run("sync")
        #expect(back.status == 0, "\(back.output)")
        try expectConsistent(lab, deployed: target, versions: [lab.db: "1", lab.app: "1", lab.web: "2"])
        #expect(try decodeJSON(try lab.run("status", "--json").stdout)["outage"] == nil, "a fetch that works ends it")
        keepsakes.expectKept()
    }

    /// The lines of a failed fetch's error (not the `Fetching …` progress line before it).
    static func errorLines(_ result: CommandResult) -> String {
        result.output.split(separator: "\n").filter { $0.contains("cannot fetch") }.joined(separator: "\n")
    }

    // MARK: Fixtures

    /// A service whose healthcheck passes only once `<gate>/open` exists (bind-mounted from the host).
    static func gatedService(version: String, gate: String) -> String {
        """
        services:
          app:
            image: \(DockerRig.testImage)
            command: ["sh", "-c", "exec sleep 3600"]
            network_mode: none
            stop_signal: SIGKILL
            labels:
              homelab.version: "\(version)"
            volumes:
              - "\(gate):/gate:ro"
            healthcheck:
              test: ["CMD", "cat", "/gate/open"]
              interval: 1s
              timeout: 2s
              retries: 100000
              start_period: 0s

        """
    }

    /// A port on 127.0.0.1 nothing listens on (free a moment ago).
    static func closedPort() throws -> Int {
        let server = try StallingGitServer()
        let port = server.port
        server.stop()
        return port
    }
}
