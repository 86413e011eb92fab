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
}
