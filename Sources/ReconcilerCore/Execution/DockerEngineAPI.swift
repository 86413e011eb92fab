import Foundation
import Synchronization

/// One container of a Compose project as the Docker Engine API lists it.
package struct EngineContainer: Sendable, Equatable {
    package let id: String
    package let name: String
    package let project: String
    package let service: String
    /// `running`, `exited`, `created`, `restarting`, `paused`, `dead`.
    package let state: String
    /// `Up 3 minutes (healthy)`, `Exited (137) 5 seconds ago`.
    package let status: String
    /// A `docker compose run` container, which is not part of the deployed state.
    package let oneOff: Bool

    package init(
        id: String,
        name: String,
        project: String,
        service: String,
        state: String,
        status: String,
        oneOff: Bool = false
    ) {
        self.id = id
        self.name = name
        self.project = project
        self.service = service
        self.state = state
        self.status = status
        self.oneOff = oneOff
    }

    /// The healthcheck's verdict in the engine's status line, as Compose's `ps` names it: `healthy`, `unhealthy`,
    /// `starting` (`Up 2 seconds (health: starting)`), or empty for a container without a healthcheck.
    package var health: String {
        if status.hasSuffix("(healthy)") { return "healthy" }
        if status.hasSuffix("(unhealthy)") { return "unhealthy" }
        if status.hasSuffix("(health: starting)") { return "starting" }
        return ""
    }

    /// The container as the health gate judges it (the fields `compose ps --format json` gives).
    package var asComposeContainer: ComposeContainer {
        ComposeContainer(name: name, service: service, state: state, health: health, exitCode: exitCode ?? 0)
    }

    /// The exit code in `Exited (N) …`, when the container has exited.
    package var exitCode: Int? {
        guard status.hasPrefix("Exited ("), let close = status.firstIndex(of: ")") else { return nil }
        return Int(status[status.index(status.startIndex, offsetBy: 8)..<close])
    }
}

/// This engine's place in a Swarm: its local node state (`active`, `inactive`, `pending`, `error`, `locked`) and
/// whether it is a manager.
package struct SwarmRole: Sendable, Equatable {
    package let state: String
    package let manager: Bool

    package init(state: String, manager: Bool) {
        self.state = state
        self.manager = manager
    }
}

/// The Docker Engine API over its unix socket (`DOCKER_HOST=unix://…`, else `/var/run/docker.sock`): the daemon
/// asks it about every Compose container in one request per poll instead of running `docker` per unit.
package struct DockerEngineAPI: Sendable {
    package let client: WireHTTPClient
    /// How many requests this value (and its copies) sent: an idle self-heal check is one.
    package let requests = RequestCount()

    /// A count shared by the copies of one ``DockerEngineAPI``.
    package final class RequestCount: Sendable {
        private let value = Atomic<Int>(0)
        package var count: Int { value.load(ordering: .relaxed) }
        func add() { value.add(1, ordering: .relaxed) }
    }

    package init(client: WireHTTPClient) {
        self.client = client
    }

    /// The engine `DOCKER_HOST` names (`unix://` or `tcp://`), else the default socket.
    package static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Duration = .seconds(10)
    ) -> DockerEngineAPI {
        DockerEngineAPI(client: WireHTTPClient(endpoint(environment["DOCKER_HOST"]), timeout: timeout))
    }

    package static func endpoint(_ dockerHost: String?) -> WireHTTPClient.Endpoint {
        guard let host = dockerHost, !host.isEmpty else { return .unix(path: "/var/run/docker.sock") }
        if host.hasPrefix("unix://") { return .unix(path: String(host.dropFirst("unix://".count))) }
        if host.hasPrefix("tcp://") {
            let rest = host.dropFirst("tcp://".count)
            let parts = rest.split(separator: ":")
            return .tcp(host: String(parts.first ?? "localhost"), port: parts.count > 1 ? Int(parts[1]) ?? 2375 : 2375)
        }
        return .unix(path: host)
    }

    /// Every container that carries a Compose project label, running or not, in one request.
    package func composeContainers() throws -> [EngineContainer] {
        try containers(labelled: "com.docker.compose.project")
    }

    /// The containers of one Compose project (one-off `compose run` containers left out), running or not, in one
    /// request: what `compose ps --all` shows, without starting a process.
    package func containers(ofProject project: String) throws -> [EngineContainer] {
        try containers(labelled: "com.docker.compose.project=\(project)").filter { $0.project == project && !$0.oneOff }
    }

    /// `GET /containers/json?all=1` filtered on one label (`name` or `name=value`); project names are plain
    /// (`[a-z0-9_-]`), so the filter needs no escaping.
    private func containers(labelled label: String) throws -> [EngineContainer] {
        let filters = #"{"label":["\#(label)"]}"#
        let query = filters.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try Self.parseContainers(get("/containers/json?all=1&filters=\(query)", named: "/containers/json"))
    }

    /// The body of a `GET` the engine answered 200; `named` is how an error names the request.
    private func get(_ path: String, named: String) throws -> Data {
        requests.add()
        let response = try client.send(method: "GET", path: path)
        guard response.status == 200 else {
            throw WireHTTPError(
                endpoint: client.endpoint.description,
                message: "GET \(named) answered \(response.status): \(response.text.prefix(200))"
            )
        }
        return response.body
    }

    /// The restart policy (`no`, `always`, `unless-stopped`, `on-failure`) of one container.
    package func restartPolicy(of id: String) throws -> String {
        let body = try get("/containers/\(id)/json", named: "/containers/\(id.prefix(12))/json")
        struct Inspect: Decodable {
            struct HostConfig: Decodable {
                struct RestartPolicy: Decodable { let Name: String? }
                let RestartPolicy: RestartPolicy?
            }
            let HostConfig: HostConfig?
        }
        let inspect = try JSONDecoder().decode(Inspect.self, from: body)
        let name = inspect.HostConfig?.RestartPolicy?.Name ?? ""
        return name.isEmpty ? "no" : name
    }

    /// The engine's Swarm role from `GET /info`: what `docker info --format '{{.Swarm.LocalNodeState}}
    /// {{.Swarm.ControlAvailable}}'` prints, without starting a process.
    package func swarmRole() throws -> SwarmRole {
        try Self.parseSwarmRole(get("/info", named: "/info"))
    }

    package static func parseSwarmRole(_ data: Data) throws -> SwarmRole {
        struct Info: Decodable {
            struct Swarm: Decodable {
                let LocalNodeState: String?
                let ControlAvailable: Bool?
            }
            let Swarm: Swarm?
        }
        let swarm = try JSONDecoder().decode(Info.self, from: data).Swarm
        return SwarmRole(state: swarm?.LocalNodeState ?? "inactive", manager: swarm?.ControlAvailable ?? false)
    }

    package static func parseContainers(_ data: Data) throws -> [EngineContainer] {
        struct Listed: Decodable {
            let Id: String
            let Names: [String]?
            let Labels: [String: String]?
            let State: String?
            let Status: String?
        }
        return try JSONDecoder().decode([Listed].self, from: data).compactMap { c in
            guard let project = c.Labels?["com.docker.compose.project"] else { return nil }
            return EngineContainer(
                id: c.Id,
                name: (c.Names?.first ?? c.Id).trimmingCharacters(in: CharacterSet(charactersIn: "/")),
                project: project,
                service: c.Labels?["com.docker.compose.service"] ?? "",
                state: c.State ?? "",
                status: c.Status ?? "",
                oneOff: c.Labels?["com.docker.compose.oneoff"] == "True"
            )
        }
    }
}
