import Foundation
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

/// The health gate on the real engine, through the real driver: the 2 s settle for containers without a healthcheck
/// (a crash loop must not pass) and the unit's time limit.
@Suite(.serialized)
struct HealthGateRigTests {
    private let driver = ComposeDriver(runner: ProcessRunner(logger: Logger(label: "test")))

    /// Brings `compose` up as a unit with the real driver and waits on the gate; returns the verdict and how long
    /// the gate took.
    private func gate(
        _ prefix: String,
        compose: String,
        timeout: Duration
    ) async throws -> (HealthGate.Verdict, Duration) {
        try DockerRig.requireEngine()
        let directory = try TemporaryDirectory(prefix: "gate-\(prefix)")
        defer { directory.remove() }
        try compose.write(toFile: directory.appending("compose.yml"), atomically: true, encoding: .utf8)
        let project = DockerRig.uniqueProjectName(prefix)
        defer { try? DockerRig.removeProject(project) }
        let unit = ServiceUnit(id: project, projectName: project, directory: project, composeFile: "compose.yml")
        let context = DriverContext(environment: DockerRig.environment)
        let up = try await driver.up(unit, in: directory.path, context)
        #expect(up.succeeded, "\(up.outputTail)")
        let start = ContinuousClock.now
        let verdict = try await HealthGate(driver: driver, context: context).wait(
            for: unit,
            in: directory.path,
            timeout: timeout
        )
        return (verdict, ContinuousClock.now - start)
    }

    @Test func aContainerWithoutHealthcheckPassesOnlyAfterTheSettleTime() async throws {
        let (verdict, took) = try await gate(
            "settle",
            compose: """
                services:
                  app:
                    image: \(DockerRig.testImage)
                    init: true
                    command: ["sleep", "3600"]
                """,
            timeout: .seconds(30)
        )
        #expect(verdict == .passed("1 running"))
        #expect(took >= .seconds(2), "running must hold for the settle time: passed after \(took)")
    }

    @Test func aCrashLoopWithoutHealthcheckNeverPasses() async throws {
        let (verdict, took) = try await gate(
            "crashloop",
            compose: """
                services:
                  app:
                    image: \(DockerRig.testImage)
                    command: ["sh", "-c", "sleep 1; exit 3"]
                    restart: always
                """,
            timeout: .seconds(10)
        )
        guard case .failed(let why) = verdict else {
            Issue.record("a crash loop passed the gate: \(verdict)")
            return
        }
        #expect(why.contains("exited with code 3") || why.contains("not healthy after 10s"), "\(why)")
        #expect(took < .seconds(30))
    }

    @Test func aUnitNotHealthyWithinItsTimeoutFailsNamingTheTimeAndTheContainer() async throws {
        let (verdict, took) = try await gate(
            "slow",
            compose: Homelab.service(version: "1", slowStart: 60),
            timeout: .seconds(3)
        )
        guard case .failed(let why) = verdict else {
            Issue.record("a unit that is not yet healthy passed: \(verdict)")
            return
        }
        #expect(why.hasPrefix("not healthy after 3s: "), "\(why)")
        #expect(why.contains("app-1 running/starting"), "\(why)")
        #expect(took >= .seconds(3))
    }

    /// The gate asks the Engine API (one request) instead of starting `compose ps`; both must tell it the same thing
    /// about healthy, unhealthy, still starting and exited containers, exit codes included.
    @Test func theEngineAPIAndComposePsDescribeTheSameContainers() async throws {
        try DockerRig.requireEngine()
        let directory = try TemporaryDirectory(prefix: "gate-api")
        defer { directory.remove() }
        let compose = """
            services:
              well:
                image: \(DockerRig.testImage)
                init: true
                command: ["sh", "-c", "touch /tmp/ok; exec sleep 3600"]
                healthcheck: { test: ["CMD", "cat", "/tmp/ok"], interval: 1s, retries: 3 }
              sick:
                image: \(DockerRig.testImage)
                init: true
                command: ["sleep", "3600"]
                healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 1 }
              slow:
                image: \(DockerRig.testImage)
                init: true
                command: ["sleep", "3600"]
                healthcheck: { test: ["CMD", "true"], interval: 1h }
              job:
                image: \(DockerRig.testImage)
                command: ["sh", "-c", "exit 3"]
                restart: "no"
              plain:
                image: \(DockerRig.testImage)
                init: true
                command: ["sleep", "3600"]
            """
        try compose.write(toFile: directory.appending("compose.yml"), atomically: true, encoding: .utf8)
        let project = DockerRig.uniqueProjectName("api")
        defer { try? DockerRig.removeProject(project) }
        let unit = ServiceUnit(id: project, projectName: project, directory: project, composeFile: "compose.yml")
        let context = DriverContext(environment: DockerRig.environment)
        #expect(driver.healthPollInterval(for: unit, context) == .milliseconds(100))
        let up = try await driver.up(unit, in: directory.path, context)
        #expect(up.succeeded, "\(up.outputTail)")
        _ = try await DockerRig.waitFor(project: project) { containers in
            containers.count == 5
                && containers.contains { $0.service == "well" && $0.health == "healthy" }
                && containers.contains { $0.service == "sick" && $0.health == "unhealthy" }
                && containers.contains { $0.service == "job" && $0.state == "exited" }
        }
        let byName = { (list: [ComposeContainer]) in list.sorted { $0.name < $1.name } }
        let fromEngine = byName(try await driver.containers(unit, in: directory.path, context))
        let json = try DockerRig.compose(["ps", "--all", "--format", "json"], project: project, in: directory.path)
        let fromCompose = byName(try Compose.parseContainers(json))
        #expect(fromEngine == fromCompose)
        #expect(fromEngine.map(\.health) == ["", "", "unhealthy", "starting", "healthy"])
        #expect(fromEngine.first { $0.service == "job" }?.exitCode == 3)
        // Another Compose tool's engine may be elsewhere: the gate then asks that tool, at the slower interval.
        let other = DriverContext(compose: ["podman-compose"], environment: DockerRig.environment)
        #expect(driver.healthPollInterval(for: unit, other) == .milliseconds(500))
    }
}
