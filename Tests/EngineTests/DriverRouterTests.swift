import Foundation
import Git
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

/// The router sends each unit's calls to the driver of its engine; the engine chooses nothing itself.
@Suite struct DriverRouterTests {
    @Test func swarmUnitsGoToTheSwarmDriverTheOthersToCompose() async throws {
        let compose = FakeDriver()
        let swarm = FakeDriver()
        let router = DriverRouter(compose: compose, swarm: swarm, system: compose)
        var context = DriverContext()
        context.swarm = ["stack"]
        let stack = ServiceUnit(id: "stack", servicesRoot: "services")
        let app = ServiceUnit(id: "app", servicesRoot: "services")
        _ = try await router.validate(stack, in: "/tmp", context)
        _ = try await router.up(stack, in: "/tmp", context)
        _ = try await router.up(app, in: "/tmp", context)
        _ = try await router.down(stack, in: "/tmp", context)
        _ = try await router.switch(["switch"], in: "/tmp", context)
        #expect(swarm.actions == ["up stack", "down stack"])
        #expect(swarm.calls(.validate) == ["stack"])
        #expect(compose.actions == ["up app", "switch system"])
        let found = try await router.containers(of: [stack, app], context)
        #expect(Set(found.keys) == ["stack", "app"])
        #expect(swarm.calls(.containers) == ["stack"])
    }

    /// A whole deploy through the engine with one unit on Swarm: validation, up, health and prune all reach the
    /// Swarm driver; the rest stays on Compose.
    @Test func theEngineRoutesASwarmUnitThroughTheRouter() async throws {
        let lab = try EngineLab(files: [
            "reconciler.json": EngineLab.config(extra: "").replacingOccurrences(
                of: "\"web\": { \"dependsOn\": [\"app\"] }",
                with: "\"web\": { \"dependsOn\": [\"app\"], \"engine\": \"swarm\" }"
            )
        ])
        let swarm = FakeDriver()
        let router = DriverRouter(compose: lab.driver, swarm: swarm, system: lab.driver)
        func reconciler() throws -> Reconciler {
            Reconciler(
                repository: try Repository(at: lab.fixture.clone),
                store: try StateStore(directory: lab.stateDir),
                driver: router,
                logger: Logger(label: "engine-test"),
                reporter: lab.events,
                hostConfigFile: nil
            )
        }
        #expect(try await reconciler().sync(dryRun: false) == .succeeded)
        #expect(lab.driver.actions == ["switch system", "up db", "up app"])
        #expect(swarm.actions == ["up web"])
        #expect(swarm.calls(.validate) == ["web"])

        swarm.resetCalls()
        let config = try String(contentsOfFile: lab.fixture.clone + "/reconciler.json", encoding: .utf8)
            .replacingOccurrences(of: ", \"web\": { \"dependsOn\": [\"app\"], \"engine\": \"swarm\" }", with: "")
            .replacingOccurrences(of: ",\n    \"web\": { \"dependsOn\": [\"app\"], \"engine\": \"swarm\" }", with: "")
        try lab.commit(["services/web/compose.yml": nil, "reconciler.json": config])
        #expect(try await reconciler().sync(dryRun: false) == .succeeded)
        #expect(swarm.actions == ["down web"], "the stack is removed by the driver of the commit that had it")
    }
}
