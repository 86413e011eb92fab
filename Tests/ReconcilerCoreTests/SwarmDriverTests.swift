import Foundation
import Testing

@testable import ReconcilerCore

/// The Swarm driver's pure parts: its argument vectors, and how a stack's services read as the health gate's
/// containers.
@Suite struct SwarmDriverTests {
    @Test func theEngineAPIsInfoSaysWhetherThisIsAManager() throws {
        let manager = #"{"ID":"x","Swarm":{"NodeID":"n","LocalNodeState":"active","ControlAvailable":true}}"#
        let worker = #"{"Swarm":{"LocalNodeState":"active","ControlAvailable":false}}"#
        let none = #"{"Swarm":{"NodeID":"","LocalNodeState":"inactive","ControlAvailable":false}}"#
        #expect(try DockerEngineAPI.parseSwarmRole(Data(manager.utf8)) == SwarmRole(state: "active", manager: true))
        #expect(try DockerEngineAPI.parseSwarmRole(Data(worker.utf8)) == SwarmRole(state: "active", manager: false))
        #expect(try DockerEngineAPI.parseSwarmRole(Data(none.utf8)) == SwarmRole(state: "inactive", manager: false))
        #expect(try DockerEngineAPI.parseSwarmRole(Data("{}".utf8)) == SwarmRole(state: "inactive", manager: false))
    }

    @Test func deployIsStackDeployWithPruneAndWaiting() {
        let unit = ServiceUnit(id: "media/plex", servicesRoot: "services")
        #expect(
            SwarmDriver.deployArguments(unit) == [
                "stack", "deploy", "--prune", "--detach=false", "--with-registry-auth", "-c", "compose.yml",
                unit.projectName,
            ]
        )
        #expect(
            SwarmDriver.docker(DriverContext(compose: ["sudo", "-n", "docker", "compose"])) == ["sudo", "-n", "docker"]
        )
        #expect(SwarmDriver.docker(DriverContext(compose: ["docker-compose"])) == ["docker"])
    }

    @Test func servicesParseFromServiceLs() throws {
        let text = """
            {"ID":"epe3","Image":"busybox","Mode":"replicated","Name":"swt_web","Ports":"","Replicas":"1/1"}
            {"ID":"abcd","Image":"busybox","Mode":"global","Name":"swt_agent","Ports":"","Replicas":"0/1"}
            """
        #expect(
            try SwarmDriver.parseServices(text) == [
                .init(name: "swt_web", mode: "replicated", replicas: "1/1"),
                .init(name: "swt_agent", mode: "global", replicas: "0/1"),
            ]
        )
    }

    @Test func aStackPassesWhenEveryReplicaRuns() {
        let services: [SwarmDriver.ServiceLine] = [
            .init(name: "p_web", mode: "replicated", replicas: "2/2"),
            .init(name: "p_db", mode: "replicated", replicas: "1/1 (max 1 per node)"),
        ]
        let containers = SwarmDriver.judge(services, updates: [:], project: "p")
        #expect(containers.map(\.service) == ["db", "web"])
        if case .passed? = HealthGate.judge(containers) {} else { Issue.record("expected a pass: \(containers)") }
    }

    @Test func aStackWaitsWhileReplicasAreMissing() {
        let containers = SwarmDriver.judge(
            [.init(name: "p_web", mode: "replicated", replicas: "0/1")],
            updates: ["p_web": .init(state: "updating", message: "update in progress")],
            project: "p"
        )
        #expect(HealthGate.judge(containers) == nil)
    }

    @Test func aStackWaitsWhileAnUpdateRunsThoughTheOldReplicasRun() {
        // An older client's `stack deploy` returns before the rolling update; 1/1 may still be the old task.
        let containers = SwarmDriver.judge(
            [.init(name: "p_web", mode: "replicated", replicas: "1/1")],
            updates: ["p_web": .init(state: "updating", message: "update in progress")],
            project: "p"
        )
        #expect(HealthGate.judge(containers) == nil)
    }

    @Test func anOlderClientDeploysWithoutDetach() {
        let unit = ServiceUnit(id: "web", servicesRoot: "services")
        #expect(!SwarmDriver.deployArguments(unit, waits: false).contains { $0.hasPrefix("--detach") })
    }

    @Test func logsAreServiceLogsOfOneService() {
        #expect(
            SwarmDriver.serviceLogsArguments("p_web", follow: true, tail: 20) == [
                "service", "logs", "--no-trunc", "--follow", "--tail", "20", "p_web",
            ]
        )
    }

    @Test func aPausedUpdateFailsNamingTheService() {
        let containers = SwarmDriver.judge(
            [.init(name: "p_web", mode: "replicated", replicas: "0/1")],
            updates: ["p_web": .init(state: "paused", message: "update paused due to failure")],
            project: "p"
        )
        guard case .failed(let why)? = HealthGate.judge(containers) else {
            Issue.record("expected a failure: \(containers)")
            return
        }
        #expect(why.contains("p_web (update paused: update paused due to failure)"))
    }

    @Test func theUnitsEnvFileIsHandedToStackDeploy() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swarm-env-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# comment\nVERSION=7\nexport NAME=\"quoted value\"\n".write(
            toFile: "\(dir)/.env",
            atomically: true,
            encoding: .utf8
        )
        let environment = SwarmDriver.environment(dir, DriverContext(environment: ["MARK": "x"]))
        #expect(environment["VERSION"] == "7")
        #expect(environment["NAME"] == "quoted value")
        #expect(environment["MARK"] == "x")
    }
}
