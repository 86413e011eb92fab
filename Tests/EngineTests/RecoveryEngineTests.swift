import Foundation
import Git
import ReconcilerCore
import ReconcilerTesting
import Testing

/// A reconciler killed mid-deploy (a driver call that never returns, its run abandoned) and the next run finishing
/// what it left: each phase.
@Suite struct RecoveryEngineTests {
    /// Starts a sync that hangs where the driver was told to, and waits until it does.
    private func killedSync(_ lab: EngineLab) async throws -> (Task<DeployOutcome, any Error>, FakeDriver.Call) {
        let reconciler = try lab.reconciler()
        let task = Task { try await reconciler.sync(dryRun: false) }
        let call = try await lab.driver.waitForHang()
        return (task, call)
    }

    /// A lab at v1 with a v2 of every service pushed.
    private func labWithUpdate() async throws -> (EngineLab, v1: String, v2: String) {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        let v1 = try lab.fixture.remoteHead()
        let v2 = try lab.commit([
            "services/db/compose.yml": EngineLab.service("2"),
            "services/app/compose.yml": EngineLab.service("2"),
            "services/web/compose.yml": EngineLab.service("2"),
        ])
        return (lab, v1, v2)
    }

    @Test func killedDuringApplyIsRolledBackThenTheTargetIsDeployedAgain() async throws {
        let (lab, v1, v2) = try await labWithUpdate()
        lab.driver.hang(.up, "app")
        let (task, call) = try await killedSync(lab)
        defer { task.cancel() }
        #expect(call.operation == .up && call.unit == "app")
        #expect(try lab.store().runningDeployments().count == 1)

        lab.driver.resetCalls()
        #expect(try await lab.sync() == .succeeded)
        let interrupted = try #require(try lab.store().deployment(2))
        #expect(interrupted.result == .interrupted)
        #expect(interrupted.message?.contains("recovery rolled back to \(v1.prefix(12))") == true)
        // The run left behind had this very process's pid: it is not "gone" or "dead", it is the one recovering.
        #expect(interrupted.message?.contains("this process's id now") == true, "\(interrupted.message ?? "")")
        #expect(try lab.steps(.apply, of: interrupted) == ["up db", "up app"])
        #expect(interrupted.steps.first { $0.unit == "app" && $0.phase == .apply }?.result == .failed)
        #expect(try lab.steps(.rollback, of: interrupted) == ["up db", "up app"])
        #expect(lab.driver.actions == ["up db", "up app", "up db", "up app", "up web"])
        #expect(try lab.deployed() == v2)
        #expect(try lab.last().result == .succeeded)
    }

    @Test func killedDuringValidationChangesNothingAndTheTargetIsDeployedAgain() async throws {
        let (lab, v1, v2) = try await labWithUpdate()
        lab.driver.hang(.validate, "app")
        let (task, _) = try await killedSync(lab)
        defer { task.cancel() }
        #expect(try lab.checkedOut() == v1)

        lab.driver.resetCalls()
        #expect(try await lab.sync() == .succeeded)
        let interrupted = try #require(try lab.store().deployment(2))
        #expect(interrupted.result == .interrupted)
        #expect(try lab.steps(.rollback, of: interrupted) == [])
        #expect(lab.driver.actions == ["up db", "up app", "up web"])
        #expect(try lab.deployed() == v2)
    }

    @Test func killedDuringTheSystemSwitchSwitchesBack() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        try lab.commit(["nixos/configuration.nix": "{ z }\n"])
        lab.driver.hang(.switch, UnitID.system)
        let (task, _) = try await killedSync(lab)
        defer { task.cancel() }
        lab.driver.resetCalls()
        #expect(try await lab.sync() == .succeeded)
        let interrupted = try #require(try lab.store().deployment(2))
        #expect(interrupted.result == .interrupted)
        #expect(try lab.steps(.rollback, of: interrupted) == ["switch system"])
        #expect(lab.driver.actions == ["switch system", "switch system"])
    }

    @Test func killedDuringARollbackRedoesTheWholeRollback() async throws {
        let (lab, v1, v2) = try await labWithUpdate()
        lab.driver.unhealthy("web")
        // The first `up app` is the apply; the second is the rollback's.
        lab.driver.hang(.up, "app", occurrence: 2)
        let (task, _) = try await killedSync(lab)
        defer { task.cancel() }
        #expect(try lab.checkedOut() == v1)

        lab.driver.healthy("web")
        lab.driver.resetCalls()
        #expect(try await lab.sync() == .succeeded)
        let interrupted = try #require(try lab.store().deployment(2))
        #expect(interrupted.result == .interrupted)
        #expect(
            try lab.steps(.rollback, of: interrupted) == ["up db", "up app", "up db", "up app", "up web"],
            "the dead rollback's steps, then the whole rollback again"
        )
        #expect(interrupted.steps.filter { $0.result == .running }.isEmpty)
        #expect(try lab.deployed() == v2)
    }

    @Test func aKilledFirstDeployIsClosedAndDeployedAgainFromTheStart() async throws {
        let lab = try EngineLab()
        lab.driver.hang(.up, "db")
        let (task, _) = try await killedSync(lab)
        defer { task.cancel() }
        lab.driver.resetCalls()
        #expect(try await lab.sync() == .succeeded)
        let interrupted = try #require(try lab.store().deployment(1))
        #expect(interrupted.result == .interrupted)
        #expect(interrupted.message?.contains("no earlier commit to roll back to") == true)
        #expect(lab.driver.actions == ["switch system", "up db", "up app", "up web"])
    }

    @Test func operatorCommandsRecoverFirstToo() async throws {
        let (lab, v1, _) = try await labWithUpdate()
        lab.driver.hang(.up, "db")
        let (task, _) = try await killedSync(lab)
        defer { task.cancel() }
        try await lab.reconciler().stop(["web"])
        #expect(try lab.store().runningDeployments().isEmpty)
        #expect(try lab.deployed() == v1)
    }
}
