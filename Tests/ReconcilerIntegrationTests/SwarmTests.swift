import Foundation
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

/// Units with `"engine": "swarm"` on the rig's engine made a single-node swarm: deployed as a stack on its default
/// overlay network, updated, rolled back on a failing healthcheck, removed with `docker stack rm`.
@Suite(.serialized)
struct SwarmTests {
    /// A stack of one service on the test image; `healthy: false` makes its healthcheck fail. `deploy` is
    /// Swarm-only: replicas and a placement constraint pass through to the service. `version:` is for Docker 20.10's
    /// `stack deploy` (Debian's client), which refuses a file without it; newer clients and Compose ignore it.
    static func stack(version: String, healthy: Bool = true, replicas: Int = 1) -> String {
        """
        version: "3.8"
        services:
          app:
            image: \(DockerRig.testImage)
            command: ["sh", "-c", "echo started version \(version); touch /tmp/ok; exec sleep 3600"]
            stop_grace_period: 1s
            labels:
              homelab.version: "\(version)"
            healthcheck:
              test: ["CMD", "\(healthy ? "cat" : "false")", "/tmp/ok"]
              interval: 1s
              timeout: 2s
              retries: 2
              start_period: 0s
            deploy:
              replicas: \(replicas)
              placement:
                constraints: ["node.role == manager"]
              update_config:
                monitor: 3s

        """
    }

    /// The check before each deploy asks the Engine API whether this engine is a manager: with a `docker` that cannot
    /// even start, the rig's swarm still answers "manager", and `outage` (which runs `docker info`) says it cannot ask.
    @Test func theQuickSwarmCheckAsksTheEngineAPINotDockerInfo() async throws {
        try DockerRig.requireSwarm()
        let driver = SwarmDriver(runner: ProcessRunner(logger: Logger(label: "test")))
        let context = DriverContext(compose: ["/nonexistent/docker", "compose"])
        #expect(await driver.quickOutage(context) == nil)
        let slow = await driver.outage(context)
        #expect(slow?.contains("cannot ask the Docker engine whether it is a Swarm manager") == true)
        // An engine the API cannot reach falls back to `docker info`, which cannot start here either.
        let unreachable = DriverContext(
            compose: ["/nonexistent/docker", "compose"],
            environment: ["DOCKER_HOST": "unix:///nonexistent.sock"]
        )
        #expect(await driver.quickOutage(unreachable)?.contains("cannot ask the Docker engine") == true)
    }

    @Test func aSwarmUnitDeploysUpdatesRollsBackAndIsRemoved() throws {
        try DockerRig.requireSwarm()
        let homelab = try Homelab()
        let unit = "stack\(homelab.tag)"
        let service = "\(unit)_app"
        defer {
            DockerRig.removeStack(unit)
            homelab.tearDown(projects: [])
        }
        func config(swarm: Bool) -> String {
            """
            {
              "system": { "switch": ["\(homelab.switchScript)", "--flake", "./nixos"] },
              "services": { "healthTimeout": "60s" },
              "units": { \(swarm ? "\"\(unit)\": { \"engine\": \"swarm\" }" : "") }
            }

            """
        }
        try homelab.commit(
            ["reconciler.json": config(swarm: true), "services/\(unit)/compose.yml": Self.stack(version: "1")],
            message: "a swarm stack"
        )
        try homelab.cloneDeploy()

        let first = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(first.status == 0, "\(first.output)")
        #expect(try DockerRig.stackServices(unit) == [service: "1/1"])
        #expect(try DockerRig.serviceLabel(service, "homelab.version") == "1")

        #expect(
            try DockerRig.serviceSpec(service, "{{json .Spec.TaskTemplate.Placement.Constraints}}")
                == #"["node.role == manager"]"#
        )

        try homelab.commit(
            ["services/\(unit)/compose.yml": Self.stack(version: "2", replicas: 2)],
            message: "stack 2"
        )
        let update = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(update.status == 0, "\(update.output)")
        #expect(try DockerRig.serviceLabel(service, "homelab.version") == "2")
        #expect(try DockerRig.stackServices(unit) == [service: "2/2"])
        // `logs` shows the service's own output (`docker service logs`), both replicas.
        let logs = try ReconcilerBinary.run(["logs", unit], homelab: homelab)
        #expect(logs.status == 0, "\(logs.output)")
        #expect(logs.output.components(separatedBy: "started version 2").count - 1 == 2, "\(logs.output)")

        // A file `docker stack config` rejects fails validation: exit 1, the stack untouched.
        try homelab.commit(
            [
                "services/\(unit)/compose.yml": Self.stack(version: "bad").replacingOccurrences(
                    of: "replicas: 1",
                    with: "replicas: many"
                )
            ],
            message: "stack bad"
        )
        let invalid = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(invalid.status == 1, "\(invalid.output)")
        #expect(invalid.output.contains("failed validation"), "\(invalid.output)")
        #expect(try DockerRig.serviceLabel(service, "homelab.version") == "2")

        try homelab.commit(
            ["services/\(unit)/compose.yml": Self.stack(version: "3", healthy: false)],
            message: "stack 3 broken"
        )
        let broken = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(broken.status == 2, "\(broken.output)")
        let history = try decodeJSONArray(
            try ReconcilerBinary.run(["history", "--json", "--limit", "1"], homelab: homelab).stdout
        )
        #expect(history.first?["result"] as? String == "rolledBack")
        #expect(try DockerRig.serviceLabel(service, "homelab.version") == "2", "rolled back to the previous definition")
        #expect(try DockerRig.stackServices(unit) == [service: "2/2"])

        try homelab.commit(
            ["services/\(unit)/compose.yml": nil, "reconciler.json": config(swarm: false)],
            message: "stack removed"
        )
        let removed = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(removed.status == 0, "\(removed.output)")
        #expect(try DockerRig.stackServices(unit).isEmpty)
    }
}
