import Foundation
import ReconcilerTesting
import Testing

/// What an operator does and sees: rollback and holds, degraded, drift, secrets, configuration errors, the lock,
/// crashes, and plans.
@Suite(.serialized)
struct OperatorTests {
    @Test func rollbackHoldsUntilResume() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v1 = try lab.homelab.git(["rev-parse", "HEAD"])
        let v2 = try lab.homelab.commit(
            ["services/\(lab.app)/compose.yml": Homelab.service(version: "2")],
            message: "app v2"
        )
        #expect(try lab.run("sync").status == 0)
        #expect(try Containers.version(lab.app) == "2")

        let rollback = try lab.run("rollback", "HEAD~1")
        #expect(rollback.status == 0, "\(rollback.output)")
        #expect(try Containers.version(lab.app) == "1")

        let held = try lab.run("sync")
        #expect(held.status == 0, "\(held.output)")
        #expect(held.stdout.contains("held"), "\(held.output)")
        #expect(try Containers.version(lab.app) == "1", "a held sync does not undo the rollback")
        let status = try decodeJSON(try lab.run("status", "--json").stdout)
        let hold = try #require(status["hold"] as? [String: Any])
        #expect(hold["commit"] as? String == v2, "the hold is on the head rolled back from")
        #expect((hold["reason"] as? String)?.contains("rolled back to \(v1.prefix(12))") == true, "\(hold)")

        #expect(try lab.run("resume").status == 0)
        let moved = try lab.run("sync")
        #expect(moved.status == 0, "\(moved.output)")
        #expect(try Containers.version(lab.app) == "2")
    }

    @Test func failedRollbackIsDegradedUntilResume() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        _ = FileManager.default.createFile(atPath: lab.homelab.switchAlwaysFails, contents: nil)
        try lab.homelab.commit(
            ["nixos/configuration.nix": "{ ... }: { services.foo.enable = true; }\n"],
            message: "system change"
        )

        let sync = try lab.run("sync")
        #expect(sync.status == 3, "\(sync.output)")
        let status = try lab.run("status", "--json")
        #expect(status.status == 3)
        #expect(try decodeJSON(status.stdout)["state"] as? String == "degraded")
        let human = try lab.run("status")
        #expect(human.stdout.contains("DEGRADED"))

        let refused = try lab.run("sync")
        #expect(refused.status == 3, "no automatic deploys while degraded: \(refused.output)")
        #expect(refused.output.contains("resume"))

        try FileManager.default.removeItem(atPath: lab.homelab.switchAlwaysFails)
        #expect(try lab.run("resume").status == 0)
        let healed = try lab.run("sync")
        #expect(healed.status == 0, "\(healed.output)")
        #expect(try lab.run("status").status == 0)
    }

    @Test func driftIsRefusedNamingTheFile() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        try lab.homelab.commit(["services/\(lab.app)/compose.yml": Homelab.service(version: "2")], message: "app v2")
        try "hand edit\n".write(toFile: "\(lab.homelab.deploy)/docs/README.md", atomically: true, encoding: .utf8)
        // An ignored .env is never drift.
        try "X=1\n".write(toFile: "\(lab.homelab.deploy)/services/\(lab.db)/.env", atomically: true, encoding: .utf8)

        let sync = try lab.run("sync")
        #expect(sync.status == 5, "\(sync.output)")
        #expect(sync.output.contains("docs/README.md"))
        #expect(!sync.output.contains(".env"))
        #expect(try Containers.version(lab.app) == "1")
        let status = try lab.run("status")
        #expect(status.status == 5)
    }

    @Test func missingEnvKeysAreNamedWithoutAnySecretValue() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let secret = "hunter2-\(lab.homelab.tag)-do-not-print"
        try "SECRET_TOKEN=\(secret)\n".write(
            toFile: "\(lab.homelab.deploy)/services/\(lab.app)/.env",
            atomically: true,
            encoding: .utf8
        )
        try lab.homelab.commit(
            [
                "services/\(lab.app)/.env.example": "SECRET_TOKEN=changeme\nAPI_KEY=changeme\nDB_PASSWORD=changeme\n",
                "services/\(lab.app)/compose.yml": Homelab.service(
                    version: "2",
                    extra: "    environment:\n      TOKEN: ${SECRET_TOKEN}\n"
                ),
            ],
            message: "app needs secrets"
        )

        let sync = try lab.run("sync")
        #expect(sync.status == 1, "\(sync.output)")
        #expect(sync.output.contains("API_KEY"))
        #expect(sync.output.contains("DB_PASSWORD"))
        #expect(!sync.output.contains(secret))
        let history = try lab.run("history", "--json")
        #expect(!history.output.contains(secret))
        #expect(try Containers.version(lab.app) == "1")

        try "SECRET_TOKEN=\(secret)\nAPI_KEY=k\nDB_PASSWORD=p\n".write(
            toFile: "\(lab.homelab.deploy)/services/\(lab.app)/.env",
            atomically: true,
            encoding: .utf8
        )
        #expect(try lab.run("resume").status == 0)
        let fixed = try lab.run("sync")
        #expect(fixed.status == 0, "\(fixed.output)")
        #expect(!fixed.output.contains(secret))
        #expect(try Containers.version(lab.app) == "2")
    }

    @Test func configurationErrorsExitOneNamingTheProblem() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)

        try lab.homelab.commit(
            ["reconciler.json": lab.homelab.config(units: [lab.app: [lab.db]], extra: "\"helthTimeout\": \"5m\"")],
            message: "typo"
        )
        let typo = try lab.run("sync")
        #expect(typo.status == 1, "\(typo.output)")
        #expect(typo.output.contains("helthTimeout"))

        try lab.homelab.commit(
            ["reconciler.json": lab.homelab.config(units: [lab.app: ["nosuchunit"]])],
            message: "bad dep"
        )
        let dep = try lab.run("sync")
        #expect(dep.status == 1, "\(dep.output)")
        #expect(dep.output.contains("nosuchunit"))

        try lab.homelab.commit(
            ["reconciler.json": lab.homelab.config(units: [lab.app: [lab.web], lab.web: [lab.app]])],
            message: "cycle"
        )
        let cycle = try lab.run("sync")
        #expect(cycle.status == 1, "\(cycle.output)")
        #expect(cycle.output.contains("cycle"))
        #expect(cycle.output.contains(lab.app) && cycle.output.contains(lab.web))
        #expect(try lab.projects.map { try Containers.running($0).count } == [1, 1, 1])
    }

    @Test func secondConcurrentSyncGetsExitFour() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        try lab.homelab.commit(
            ["services/\(lab.app)/compose.yml": Homelab.service(version: "2", slowStart: 6)],
            message: "slow app"
        )

        let first = try BackgroundProcess(
            [ReconcilerBinary.path, "sync", "--repo", lab.homelab.deploy, "--state-dir", lab.homelab.stateDir])
        defer { first.kill() }
        try waitForRunningStep(lab.homelab)
        let second = try lab.run("sync")
        #expect(second.status == 4, "\(second.output)")
        #expect(second.output.contains("pid \(first.pid)"), "names the holder: \(second.output)")
        #expect(first.wait() == 0)
        #expect(try Containers.version(lab.app) == "2")
    }

    @Test func killedMidApplyIsRecoveredByTheNextSync() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let target = try lab.homelab.commit(
            ["services/\(lab.app)/compose.yml": Homelab.service(version: "2", slowStart: 8)],
            message: "slow app"
        )

        let victim = try BackgroundProcess(
            [ReconcilerBinary.path, "sync", "--repo", lab.homelab.deploy, "--state-dir", lab.homelab.stateDir])
        try waitForRunningStep(lab.homelab)
        victim.kill(signal: SIGKILL)
        _ = victim.wait()

        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(sync.output.contains("interrupted"))
        let history = try decodeJSONArray(try lab.run("history", "--json").stdout)
        #expect(history.count == 3, "first deploy, the interrupted one, the redeploy")
        #expect(history[1]["result"] as? String == "interrupted")
        let rollbackSteps = (history[1]["steps"] as? [[String: Any]] ?? []).filter {
            $0["phase"] as? String == "rollback"
        }
        #expect(!rollbackSteps.isEmpty, "the recovery rolled back what the killed deploy had started")
        #expect(history[0]["result"] as? String == "succeeded")
        #expect(history[0]["to"] as? String == target)
        #expect(try Containers.version(lab.app) == "2")
        #expect(try lab.run("status").status == 0)
    }

    @Test func planJSONListsExactlyTheAffectedUnits() throws {
        let media = "media\(String(UUID().uuidString.lowercased().filter(\.isLetter).prefix(5)))"
        let lab = try Lab(extraFiles: [
            "services/\(media)/common.yml": "x: 1\n",
            "services/\(media)/shows/compose.yml": Homelab.service(version: "1"),
            "services/\(media)/anime/compose.yml": Homelab.service(version: "1"),
        ])
        defer { lab.tearDown() }
        let base = try lab.homelab.git(["rev-parse", "HEAD"])

        let shared = try lab.homelab.commit(["services/\(media)/common.yml": "x: 2\n"], message: "shared")
        // A rename as git sees it (same content, new path), with the settings following the unit.
        let renamed = try lab.homelab.commit(
            [
                "services/\(lab.web)/compose.yml": nil,
                "services/\(lab.web)2/compose.yml": Homelab.service(version: "1"),
                "reconciler.json": lab.homelab.config(units: [lab.app: [lab.db], lab.web + "2": [lab.app]]),
            ],
            message: "rename web"
        )
        let deleted = try lab.homelab.commit(
            [
                "services/\(lab.db)/compose.yml": nil,
                "reconciler.json": lab.homelab.config(units: [lab.web + "2": [lab.app]]),
            ],
            message: "delete db"
        )
        #expect(try lab.run("sync", "--dry-run").status == 0)
        #expect(try Containers.running(lab.app).isEmpty, "a dry run changes nothing")

        func changedUnits(_ plan: [String: Any]) -> [String] {
            (plan["steps"] as? [[String: Any]] ?? []).filter {
                $0["action"] as? String == "up" && $0["reason"] as? String == "changed"
            }.compactMap { $0["unit"] as? String }
        }
        func plan(_ from: String, _ to: String) throws -> [String: Any] {
            let result = try lab.run("plan", "--from", from, "--to", to, "--json")
            #expect(result.status == 0, "\(result.output)")
            return try decodeJSON(result.stdout)
        }
        let p1 = try plan(base, shared)
        #expect(Set(p1["units"] as? [String] ?? []) == ["\(media)/shows", "\(media)/anime"])
        #expect(p1["pruned"] as? [String] == [])
        #expect(p1["system"] as? Bool == false)

        // Nothing is deployed here, so web2's dependencies are not running and come along, marked as such.
        let p2 = try plan(shared, renamed)
        #expect(changedUnits(p2) == ["\(lab.web)2"])
        let reasons = Dictionary(
            (p2["steps"] as? [[String: Any]] ?? []).compactMap { step in
                (step["unit"] as? String).map { ($0, step["reason"] as? String ?? "") }
            },
            uniquingKeysWith: { a, _ in a }
        )
        #expect(reasons[lab.db] == "dependency", "\(reasons)")
        #expect(reasons[lab.app] == "dependency", "\(reasons)")
        #expect(p2["units"] as? [String] == [lab.db, lab.app, "\(lab.web)2"])
        #expect(p2["pruned"] as? [String] == [lab.web])

        let p3 = try plan(renamed, deleted)
        #expect(p3["pruned"] as? [String] == [lab.db])
        #expect(p3["units"] as? [String] == [lab.app], "the unit whose settings changed (its dependency went away)")
    }
}

/// Waits until the newest deployment is applying (a step of phase apply started and not finished).
func waitForRunningStep(_ homelab: Homelab) throws {
    for _ in 0..<120 {
        let history = try ReconcilerBinary.run(["history", "--json", "--limit", "1"], homelab: homelab)
        if let entry = try? decodeJSONArray(history.stdout).first, entry["result"] as? String == "running",
            let steps = entry["steps"] as? [[String: Any]],
            steps.contains(where: { $0["phase"] as? String == "apply" && $0["result"] as? String == "running" })
        {
            return
        }
        usleep(250_000)
    }
    Issue.record("no deployment reached a running apply step within 30s")
    throw CancellationError()
}

/// A reconciler started in the background, so a test can race or kill it.
final class BackgroundProcess {
    let process: SpawnedProcess

    init(_ argv: [String]) throws {
        process = try SpawnedProcess(argv, environment: DockerRig.environment)
    }

    var pid: Int32 { process.pid }

    func kill(signal: Int32 = SIGTERM) {
        process.kill(signal)
    }

    func wait() -> Int32 {
        process.wait()
    }
}
