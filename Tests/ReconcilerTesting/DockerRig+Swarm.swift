import Foundation

extension DockerRig {
    /// Makes the engine a single-node Swarm manager if it is none yet (`docker swarm init --advertise-addr
    /// 127.0.0.1`), on demand: only the Swarm suites need it. `scripts/testenv.sh down` leaves the swarm again.
    package static func requireSwarm() throws {
        try requireEngine()
        try swarmCheck.get()
    }

    private static let swarmCheck: Result<Void, DockerRigError> = {
        let state = try? Command.check(
            ["docker", "info", "--format", "{{.Swarm.LocalNodeState}}"],
            environment: environment
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        if state == "active" { return .success(()) }
        guard
            let result = try? Command.run(
                ["docker", "swarm", "init", "--advertise-addr", "127.0.0.1"],
                environment: environment
            ), result.status == 0
        else {
            return .failure(
                DockerRigError("`docker swarm init --advertise-addr 127.0.0.1` failed; try `scripts/testenv.sh swarm`")
            )
        }
        return .success(())
    }()

    /// The services of stack `project` as `docker service ls` shows them: name → replicas (`1/1`).
    package static func stackServices(_ project: String) throws -> [String: String] {
        let out = try Command.check(
            [
                "docker", "service", "ls", "--filter", "label=com.docker.stack.namespace=\(project)", "--format",
                "{{.Name}} {{.Replicas}}",
            ],
            environment: environment
        )
        var services: [String: String] = [:]
        for line in out.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ")
            if parts.count >= 2 { services[String(parts[0])] = String(parts[1]) }
        }
        return services
    }

    /// A label of a stack service's containers (`labels:` in the Compose file), from the service's spec.
    package static func serviceLabel(_ service: String, _ label: String) throws -> String {
        try Command.check(
            [
                "docker", "service", "inspect", "--format",
                "{{index .Spec.TaskTemplate.ContainerSpec.Labels \"\(label)\"}}", service,
            ],
            environment: environment
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A field of a stack service's spec, by Go template (`{{json .Spec.TaskTemplate.Placement.Constraints}}`).
    package static func serviceSpec(_ service: String, _ template: String) throws -> String {
        try Command.check(["docker", "service", "inspect", "--format", template, service], environment: environment)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes stack `project` (for `defer` blocks; a stack that does not exist is no error).
    package static func removeStack(_ project: String) {
        _ = try? Command.run(["docker", "stack", "rm", project], environment: environment)
    }
}
