import Foundation
import Git
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

/// `hosts` through the fake driver: a reconciler deploys only its host's units and system, and a change to another
/// host's units costs it nothing but moving the deployed commit.
@Suite struct HostEngineTests {
    /// db ← app ← web on `big`, `dns` on `pi`; each host switches its own flake attribute.
    static let hostsConfig = """
        {
          "system": { "switch": ["nixos-rebuild", "switch", "--flake", "./nixos"] },
          "units": {
            "app": { "dependsOn": ["db"] }, "web": { "dependsOn": ["app"] }, "dns": { "healthTimeout": "45s" }
          },
          "hosts": {
            "big": { "system": "homelab-hl15", "units": ["db", "app", "web"] },
            "pi": { "system": "pi", "units": ["dns"] }
          }
        }

        """

    private func lab() throws -> EngineLab {
        try EngineLab(files: [
            "reconciler.json": Self.hostsConfig,
            "services/dns/compose.yml": EngineLab.service("1"),
        ])
    }

    private func reconciler(_ lab: EngineLab, host: String) throws -> Reconciler {
        Reconciler(
            repository: try Repository(at: lab.fixture.clone),
            store: try StateStore(directory: lab.stateDir),
            driver: lab.driver,
            logger: Logger(label: "engine-test"),
            reporter: lab.events,
            hostConfigFile: nil,
            host: host
        )
    }

    @Test func eachHostDeploysItsUnitsAndItsOwnSystem() async throws {
        let big = try lab()
        #expect(try await reconciler(big, host: "big").sync(dryRun: false) == .succeeded)
        #expect(big.driver.actions == ["switch system", "up db", "up app", "up web"])
        #expect(big.driver.switchCommands == [["nixos-rebuild", "switch", "--flake", "./nixos#homelab-hl15"]])

        let pi = try lab()
        #expect(try await reconciler(pi, host: "pi").sync(dryRun: false) == .succeeded)
        #expect(pi.driver.actions == ["switch system", "up dns"])
        #expect(pi.driver.switchCommands == [["nixos-rebuild", "switch", "--flake", "./nixos#pi"]])
    }

    @Test func aChangeToAnotherHostsUnitDeploysNothingButMovesTheDeployedCommit() async throws {
        let big = try lab()
        #expect(try await reconciler(big, host: "big").sync(dryRun: false) == .succeeded)
        big.driver.resetCalls()
        let sha = try big.commit(["services/dns/compose.yml": EngineLab.service("2")])
        #expect(try await reconciler(big, host: "big").sync(dryRun: false) == .succeeded)
        #expect(big.driver.actions == [])
        #expect(big.driver.calls(.validate) == [])
        #expect(try big.deployed() == sha)
        #expect(try big.last().message == "no unit affected")
    }

    @Test func planAndStatusSayWhichHostTheySpeakFor() async throws {
        let big = try lab()
        let front = try reconciler(big, host: "pi")
        let plan = try await front.plan(from: nil, to: nil)
        #expect(plan.host == "pi")
        #expect(plan.units == ["dns"])
        #expect(plan.json().contains("\"host\" : \"pi\""))
        #expect(try await front.sync(dryRun: false) == .succeeded)
        let status = try await front.status()
        #expect(status.host == "pi")
        #expect(status.units.map(\.id).filter { $0 != UnitID.system } == ["dns"])
        #expect(front.hostName() == "pi")
    }

    @Test func anUnknownHostIsAConfigurationErrorNamingItAndNotRecordedAgainstTheCommit() async throws {
        let big = try lab()
        let error = await #expect(throws: ReconcilerError.self) {
            try await reconciler(big, host: "nas").sync(dryRun: false)
        }
        #expect(error?.exitCode == .configuration)
        let message = error?.message ?? ""
        #expect(message.contains("\"nas\"") && message.contains("\"big\", \"pi\"") && message.contains("--host"))
        #expect(big.driver.actions == [])
        // The host's setting is wrong, not the commit: it is neither in the history nor marked failed, and the
        // right host deploys it.
        let store = try StateStore(directory: big.stateDir)
        #expect(try store.deployments(limit: 10).isEmpty)
        let head = try Repository(at: big.fixture.clone).commit(for: "origin/main").id
        #expect(try store.failure(of: head) == nil)
        #expect(try await reconciler(big, host: "big").sync(dryRun: false) == .succeeded)
        // status too names the problem rather than showing an empty host.
        await #expect(throws: ConfigError.self) { try await reconciler(big, host: "nas").status() }
    }

    @Test func operatorCommandsActOnThisHostsUnitsOnly() async throws {
        let lab = try EngineLab(files: [
            "reconciler.json": Self.hostsConfig.replacingOccurrences(
                of: "\"hosts\": {",
                with: "\"groups\": { \"core\": [\"db\", \"dns\"] },\n  \"hosts\": {"
            ),
            "services/dns/compose.yml": EngineLab.service("1"),
        ])
        #expect(try await reconciler(lab, host: "big").sync(dryRun: false) == .succeeded)
        lab.driver.resetCalls()
        #expect(try await reconciler(lab, host: "big").deploy(.group("core")) == .succeeded)
        #expect(lab.driver.actions == ["up db"], "the group's member on pi is pi's business")
        let elsewhere = await #expect(throws: ReconcilerError.self) {
            try await reconciler(lab, host: "big").deploy(.units(["dns"]))
        }
        #expect(elsewhere?.message.contains("unit dns runs on host pi") == true, "\(elsewhere?.message ?? "")")
    }

    @Test func rollbackWavesFollowDependsOnUnderHosts() async throws {
        let big = try lab()
        #expect(try await reconciler(big, host: "big").sync(dryRun: false) == .succeeded)
        big.driver.resetCalls()
        try big.commit([
            "services/db/compose.yml": EngineLab.service("2"),
            "services/app/compose.yml": EngineLab.service("2"),
            "services/web/compose.yml": EngineLab.service("2"),
        ])
        big.driver.unhealthy("web", when: "\"2\"")
        let outcome = try await reconciler(big, host: "big").sync(dryRun: false)
        guard case .rolledBack = outcome else {
            Issue.record("expected a rollback, got \(outcome)")
            return
        }
        #expect(try big.steps(.apply) == ["up db", "up app", "up web"])
        // db ← app ← web: restored in that order, one wave each, as the deploy brought them up.
        #expect(try big.steps(.rollback) == ["up db", "up app", "up web"])
    }

    @Test func aUnitMovedToAnotherHostIsPrunedHereAndBroughtUpThere() async throws {
        let big = try lab()
        #expect(try await reconciler(big, host: "big").sync(dryRun: false) == .succeeded)
        let pi = try lab()
        #expect(try await reconciler(pi, host: "pi").sync(dryRun: false) == .succeeded)
        let moved = Self.hostsConfig
            .replacingOccurrences(of: "\"units\": [\"db\", \"app\", \"web\"]", with: "\"units\": [\"db\", \"app\"]")
            .replacingOccurrences(of: "\"units\": [\"dns\"]", with: "\"units\": [\"dns\", \"web\"]")
            .replacingOccurrences(of: ", \"web\": { \"dependsOn\": [\"app\"] }", with: "")
        big.driver.resetCalls()
        pi.driver.resetCalls()
        try big.commit(["reconciler.json": moved])
        try pi.commit(["reconciler.json": moved])
        #expect(try await reconciler(big, host: "big").sync(dryRun: false) == .succeeded)
        #expect(big.driver.actions == ["down web"])
        #expect(try await reconciler(pi, host: "pi").sync(dryRun: false) == .succeeded)
        #expect(pi.driver.actions == ["up web"])
    }
}
