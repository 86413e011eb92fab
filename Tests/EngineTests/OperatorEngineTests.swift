import Foundation
import Git
import ReconcilerCore
import ReconcilerTesting
import Testing

/// What an operator does through the front, with the fake driver: rollback and holds, resume, deploy, stop, restart,
/// refusals over drift, and the plan's JSON.
@Suite struct OperatorEngineTests {
    /// A lab synced at v1 and then at v2 of app.
    private func labAtTwoCommits() async throws -> (lab: EngineLab, v1: String, v2: String) {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        let v1 = try lab.fixture.remoteHead()
        let v2 = try lab.commit(["services/app/compose.yml": EngineLab.service("2")])
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        return (lab, v1, v2)
    }

    @Test func rollbackDeploysTheEarlierCommitAndHoldsTheRemoteHead() async throws {
        let (lab, v1, v2) = try await labAtTwoCommits()
        #expect(try await lab.reconciler().rollback(to: "HEAD~1") == .succeeded)
        #expect(lab.driver.actions == ["up app"])
        #expect(lab.driver.runningFile("app")?.contains("\"1\"") == true)
        #expect(try lab.deployed() == v1)
        #expect(try lab.last().trigger == .rollback)
        let hold = try #require(try lab.store().hold())
        #expect(hold.commit.hex == v2, "the hold is on the head rolled back from")
        #expect(hold.reason.contains("rolled back to \(v1.prefix(12))"))

        lab.driver.resetCalls()
        let held = try await lab.sync()
        guard case .nothingToDo(let why) = held else {
            Issue.record("expected held, got \(held)")
            return
        }
        #expect(why.hasPrefix("held: \(v2.prefix(12))"))
        #expect(lab.driver.actions == [])
    }

    @Test func aHoldIsReleasedWhenTheRemoteMoves() async throws {
        let (lab, _, _) = try await labAtTwoCommits()
        #expect(try await lab.reconciler().rollback(to: "HEAD~1") == .succeeded)
        let v3 = try lab.commit(["services/app/compose.yml": EngineLab.service("3")])
        #expect(try await lab.sync() == .succeeded)
        #expect(try lab.store().hold() == nil)
        #expect(try lab.deployed() == v3)
        #expect(lab.events.all.contains { $0.contains("hold released") })
    }

    @Test func resumeReleasesTheHoldAndTheHeadIsDeployedAgain() async throws {
        let (lab, _, v2) = try await labAtTwoCommits()
        #expect(try await lab.reconciler().rollback(to: "HEAD~1") == .succeeded)
        let released = try lab.reconciler().resume()
        #expect(released == ["hold on \(v2.prefix(12))"])
        #expect(try await lab.sync() == .succeeded)
        #expect(try lab.deployed() == v2)
    }

    @Test func aFailedOperatorRollbackRollsBackToWhatWasDeployedAndHoldsNothing() async throws {
        let (lab, _, v2) = try await labAtTwoCommits()
        lab.driver.unhealthy("app", when: "\"1\"")
        let outcome = try await lab.reconciler().rollback(to: "HEAD~1")
        guard case .rolledBack = outcome else {
            Issue.record("expected rolledBack, got \(outcome)")
            return
        }
        #expect(outcome.exitCode == .deployFailed)
        #expect(try lab.deployed() == v2)
        #expect(try lab.store().hold() == nil)
        #expect(try lab.steps(.rollback) == ["up app"])
    }

    @Test func rollbackToTheDeployedCommitDoesNothing() async throws {
        let (lab, _, v2) = try await labAtTwoCommits()
        #expect(try await lab.reconciler().rollback(to: "HEAD") == .nothingToDo("\(v2.prefix(12)) is already deployed"))
    }

    @Test func rollbackAndDeployRefuseOverDriftWithExitFive() async throws {
        let (lab, _, _) = try await labAtTwoCommits()
        try GitFixture.write("local edit\n", to: "docs/README.md", in: lab.fixture.clone)
        let rollback = await #expect(throws: ReconcilerError.self) { try await lab.reconciler().rollback(to: "HEAD~1") }
        #expect(rollback?.exitCode == .refused)
        #expect(rollback?.message.contains("docs/README.md") == true)
        let deploy = await #expect(throws: ReconcilerError.self) { try await lab.reconciler().deploy(.all) }
        #expect(deploy?.exitCode == .refused)
        try lab.commit(["services/db/compose.yml": EngineLab.service("2")])
        let sync = await #expect(throws: ReconcilerError.self) { try await lab.sync() }
        #expect(sync?.exitCode == .refused)
        #expect(lab.driver.actions == [])
    }

    @Test func deployBringsAUnitAndItsStoppedDependenciesUp() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.setStopped("db")
        lab.driver.resetCalls()
        #expect(try await lab.reconciler().deploy(.units(["web"])) == .succeeded)
        #expect(lab.driver.actions == ["up db", "up web"], "app runs, so only db is added")
        let record = try lab.last()
        #expect(record.trigger == .deploy)
        #expect(record.fromCommit == record.toCommit)
        #expect(record.plan.contains("\"reason\" : \"requested\""))
        #expect(record.plan.contains("\"reason\" : \"dependency\""))
    }

    @Test func deployAGroup() async throws {
        let lab = try EngineLab(files: [
            "reconciler.json": EngineLab.config(extra: #""groups": {"front": ["web", "db"]}"#)
        ])
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        #expect(try await lab.reconciler().deploy(.group("front")) == .succeeded)
        #expect(lab.driver.actions == ["up db", "up web"])
        let unknown = await #expect(throws: ReconcilerError.self) { try await lab.reconciler().deploy(.group("back")) }
        #expect(unknown?.exitCode == .configuration)
        #expect(unknown?.message.contains("groups: front") == true)
    }

    @Test func aFailedDeployExitsTwoAndRollsNothingBack() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        lab.driver.unhealthy("web")
        let outcome = try await lab.reconciler().deploy(.units(["web"]))
        guard case .failed(let why) = outcome else {
            Issue.record("expected failed, got \(outcome)")
            return
        }
        #expect(outcome.exitCode == .deployFailed)
        #expect(why.contains("web up failed"))
        #expect(lab.driver.actions == ["up web"])
        #expect(try lab.last().result == .failed)
        #expect(try lab.store().degraded() == nil)
    }

    @Test func aUnitAnOperatorStoppedStaysDownAcrossSyncs() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        try await lab.reconciler().stop(["web"])
        #expect(!lab.driver.runningUnits.contains("web"))
        let record = try #require(try lab.store().units().first { $0.id == "web" })
        #expect(record.state == .stopped)
        #expect(record.message == "stopped by an operator")

        lab.driver.resetCalls()
        try lab.commit(["services/db/compose.yml": EngineLab.service("2")])
        #expect(try await lab.sync() == .succeeded)
        #expect(lab.driver.actions == ["up db"])
        #expect(!lab.driver.runningUnits.contains("web"))

        lab.driver.resetCalls()
        #expect(try await lab.reconciler().restart(["web"]) == .succeeded)
        #expect(lab.driver.actions == ["down web", "up web"])
        #expect(try lab.last().trigger == .restart)
        #expect(try lab.store().units().first { $0.id == "web" }?.state == .running)
    }

    @Test func logsAsksTheDriverForTheCommand() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        let logs = try await lab.reconciler().logsCommand("web", follow: true, tail: nil)
        #expect(logs.argv == ["fake-logs", "web", "--follow"])
        #expect(logs.directory == "\(lab.fixture.clone)/services/web")
        let unknown = await #expect(throws: ReconcilerError.self) {
            try await lab.reconciler().logsCommand("nope", follow: false, tail: nil)
        }
        #expect(unknown?.exitCode == .configuration)
    }

    @Test func thePlanNamesBothEndsItsWavesPathsAndIgnoredPaths() async throws {
        let lab = try EngineLab(files: ["reconciler.json": EngineLab.config(units: ["app": ["db"]])])
        #expect(try await lab.sync() == .succeeded)
        let from = try lab.fixture.remoteHead()
        let to = try lab.commit([
            "nixos/configuration.nix": "{ y }\n",
            "services/web/compose.yml": nil,
            "services/app/compose.yml": EngineLab.service("2"),
            "docs/README.md": "docs\n",
        ])
        try lab.fixture.gitInClone(["fetch", "--quiet", "origin"])
        let plan = try await lab.reconciler().plan(from: nil, to: nil)
        #expect(plan.from?.commit == from)
        #expect(plan.to.commit == to)
        #expect(plan.ignoredPaths == ["docs/README.md"])
        #expect(
            plan.steps == [
                PlanStep(
                    unit: "system",
                    action: .switch,
                    wave: 0,
                    reason: .changed,
                    paths: ["nixos/configuration.nix"]
                ),
                PlanStep(unit: "web", action: .down, wave: 0, reason: .pruned, paths: ["services/web/compose.yml"]),
                PlanStep(unit: "app", action: .up, wave: 1, reason: .changed, paths: ["services/app/compose.yml"]),
            ]
        )
        let json = plan.json()
        for key in ["\"from\"", "\"to\"", "\"ignoredPaths\"", "\"wave\"", "\"paths\"", "\"switch\"", "\"down\""] {
            #expect(json.contains(key), "plan --json has \(key)")
        }
        let stale = await #expect(throws: ReconcilerError.self) {
            try await lab.reconciler().plan(from: "nope", to: nil)
        }
        #expect(stale?.message.contains("--from nope") == true)
    }
}
