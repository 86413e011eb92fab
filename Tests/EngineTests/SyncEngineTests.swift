import Foundation
import Git
import ReconcilerCore
import ReconcilerTesting
import Testing

/// `sync` through the fake driver: plan, waves, health gate, automatic rollback, failed commits, degraded.
@Suite struct SyncEngineTests {
    @Test func firstSyncAppliesTheSystemThenEveryUnitInDependencyOrder() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        #expect(lab.driver.actions == ["switch system", "up db", "up app", "up web"])
        #expect(try lab.deployed() == lab.fixture.remoteHead())
        #expect(try lab.last().result == .succeeded)
        #expect(try lab.last().trigger == DeploymentTrigger.sync.rawValue)
        #expect(lab.driver.runningUnits == ["db", "app", "web"])
        #expect(
            try await lab.sync()
                == .nothingToDo("up to date at \(String(try lab.fixture.remoteHead().prefix(12))) initial homelab")
        )
    }
}
