import Foundation
import Synchronization

/// Units with `"engine": "swarm"`: their Compose files deployed as a Docker Swarm stack on a manager
/// (`docker stack deploy --prune --detach=false`), health read from the stack's services (every replica running,
/// which Swarm counts only once a healthcheck passes), taken down with `docker stack rm`. The stack is named after
/// the unit's Compose project. Networks, pulls and prune are the ``ComposeDriver``'s (the router sends them there).
package struct SwarmDriver: ServiceDriver {
    package let runner: ProcessRunner
    package static let deployTimeout: Duration = .seconds(30 * 60)
    package static let shortTimeout: Duration = .seconds(120)
    /// How long `down` waits for `docker stack rm`'s services and networks to be gone.
    package var removeTimeout: Duration = .seconds(120)

    package init(runner: ProcessRunner) {
        self.runner = runner
    }

    /// The docker CLI that goes with `services.compose`.
    package static func docker(_ context: DriverContext) -> [String] {
        var command = context.compose
        if command.count > 1, command.last == "compose" { command.removeLast() } else { command = ["docker"] }
        return command
    }

    /// `docker stack deploy`'s argument vector for `unit` (after the docker command). `waits`: the client has
    /// `--detach` (newer clients), and `--detach=false` makes it wait until the services converge; an older
    /// client (Debian's 20.10) returns once the services are updated, and the health gate does the waiting.
    package static func deployArguments(_ unit: ServiceUnit, waits: Bool = true) -> [String] {
        ["stack", "deploy", "--prune"] + (waits ? ["--detach=false"] : []) + [
            "--with-registry-auth", "-c", unit.composeFile, unit.projectName,
        ]
    }

    /// What each docker client can do, by its command and a `--help` probe; asked once per process.
    private static let clientSupport = Mutex<[[String]: Bool]>([:])

    /// Whether `help` (`["stack", "deploy", "--help"]`) prints `text`.
    private func client(_ context: DriverContext, _ help: [String], prints text: String) async -> Bool {
        let key = Self.docker(context) + help + [text]
        if let known = Self.clientSupport.withLock({ $0[key] }) { return known }
        let result = try? await run(help, in: "/", context)
        let supported = result.map { $0.succeeded && $0.stdout.contains(text) } ?? false
        Self.clientSupport.withLock { $0[key] = supported }
        return supported
    }

    private func deployWaits(_ context: DriverContext) async -> Bool {
        await client(context, ["stack", "deploy", "--help"], prints: "--detach")
    }

    /// Compose reads the unit's `.env` for interpolation; `docker stack` does not, so it is handed over in the
    /// environment (the process's own variables win, as with Compose).
    package static func environment(_ directory: String, _ context: DriverContext) -> [String: String] {
        var environment = context.environment
        guard let text = try? String(contentsOfFile: "\(directory)/.env", encoding: .utf8) else { return environment }
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            var key = String(trimmed[..<equals]).trimmingCharacters(in: .whitespaces)
            if key.hasPrefix("export ") { key = String(key.dropFirst("export ".count)) }
            var value = String(trimmed[trimmed.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            if !key.isEmpty, ProcessInfo.processInfo.environment[key] == nil, environment[key] == nil {
                environment[key] = value
            }
        }
        return environment
    }

    private func run(
        _ arguments: [String],
        in directory: String?,
        environment: [String: String] = [:],
        timeout: Duration = SwarmDriver.shortTimeout,
        _ context: DriverContext,
        echo: Bool = false
    ) async throws -> ProcessResult {
        try await runner.run(
            Self.docker(context) + arguments,
            in: directory,
            environment: environment,
            timeout: timeout,
            onLine: echo ? context.onLine : nil
        )
    }

    package func validate(
        _ unit: ServiceUnit,
        in directory: String,
        _ context: DriverContext
    ) async throws -> DriverResult {
        // `docker stack config` (newer clients) reads the file as `stack deploy` will; an older client has
        // only Compose's reading of it. The resolved file (with `.env` values) is never kept, only an error.
        let result: ProcessResult
        if await client(context, ["stack", "--help"], prints: "config") {
            result = try await run(
                ["stack", "config", "-c", unit.composeFile],
                in: directory,
                environment: Self.environment(directory, context),
                context
            )
        } else {
            result = try await runner.run(
                context.compose + [
                    "--project-name", unit.projectName, "--file", unit.composeFile, "config", "--quiet",
                ],
                in: directory,
                environment: context.environment,
                timeout: Self.shortTimeout
            )
        }
        return DriverResult(status: result.status, outputTail: result.succeeded ? "" : result.outputTail)
    }

    package func up(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> DriverResult {
        DriverResult(
            try await run(
                Self.deployArguments(unit, waits: await deployWaits(context)),
                in: directory,
                environment: Self.environment(directory, context),
                timeout: Self.deployTimeout,
                context,
                echo: true
            )
        )
    }

    package func down(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> DriverResult
    {
        let cwd = FileManager.default.fileExists(atPath: directory) ? directory : "/"
        let removed = try await run(["stack", "rm", unit.projectName], in: cwd, context, echo: true)
        guard removed.succeeded else { return DriverResult(removed) }
        // `stack rm` returns before the tasks and networks are gone; a redeploy under the same name would race them.
        let clock = ContinuousClock()
        let deadline = clock.now + removeTimeout
        let filter = "label=com.docker.stack.namespace=\(unit.projectName)"
        while clock.now < deadline {
            let services = try await run(["service", "ls", "--quiet", "--filter", filter], in: "/", context)
            let networks = try await run(["network", "ls", "--quiet", "--filter", filter], in: "/", context)
            let containers = try await run(["ps", "--all", "--quiet", "--filter", filter], in: "/", context)
            if [services, networks, containers].allSatisfy({
                $0.succeeded && $0.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            }) {
                return DriverResult(removed)
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        return DriverResult(
            status: 1,
            outputTail:
                "stack \(unit.projectName) was removed but its services, networks or containers were still there "
                + "after \(ConfigDuration.format(removeTimeout)); check `docker stack ps \(unit.projectName)`"
        )
    }

    /// One entry of `docker service ls --format json`.
    package struct ServiceLine: Decodable, Equatable, Sendable {
        package let name: String
        package let mode: String
        package let replicas: String

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case mode = "Mode"
            case replicas = "Replicas"
        }

        package init(name: String, mode: String, replicas: String) {
            self.name = name
            self.mode = mode
            self.replicas = replicas
        }
    }

    /// `UpdateStatus` of `docker service inspect`: where a rolling update stands.
    package struct UpdateStatus: Decodable, Equatable, Sendable {
        package let state: String?
        package let message: String?

        enum CodingKeys: String, CodingKey {
            case state = "State"
            case message = "Message"
        }

        package init(state: String?, message: String?) {
            self.state = state
            self.message = message
        }
    }

    /// A stack's services as the health gate judges containers: a service is `running` when all its desired
    /// replicas run (healthy ones, for a service with a healthcheck: Swarm counts a task only once it passes),
    /// `exited` with code 1 when its update was paused or rolled back (a task failed), else `starting`.
    package static func judge(
        _ services: [ServiceLine],
        updates: [String: UpdateStatus],
        project: String
    ) -> [ComposeContainer] {
        services.sorted { $0.name < $1.name }.map { service in
            let short =
                service.name.hasPrefix(project + "_") ? String(service.name.dropFirst(project.count + 1)) : service.name
            let counts =
                service.replicas.split(separator: " ").first?.split(separator: "/").compactMap { Int($0) } ?? []
            let update = updates[service.name]
            if let state = update?.state,
                ["paused", "rollback_started", "rollback_paused", "rollback_completed"].contains(state)
            {
                let why = update?.message.map { ": \($0)" } ?? ""
                return ComposeContainer(
                    name: "\(service.name) (update \(state)\(why))",
                    service: short,
                    state: "exited",
                    health: "",
                    exitCode: 1
                )
            }
            // A rolling update still under way (an older client's `stack deploy` does not wait for it): the
            // replicas counted may be the old definition's.
            let updating = update?.state == "updating"
            let running = !updating && counts.count == 2 && counts[1] > 0 && counts[0] >= counts[1]
            return ComposeContainer(
                name: "\(service.name) \(service.replicas)",
                service: short,
                state: running ? "running" : "starting",
                health: "",
                exitCode: 0
            )
        }
    }

    package static func parseServices(_ text: String) throws -> [ServiceLine] {
        try text.split(whereSeparator: \.isNewline).map {
            try JSONDecoder().decode(ServiceLine.self, from: Data($0.utf8))
        }
    }

    package func containers(
        _ unit: ServiceUnit,
        in directory: String?,
        _ context: DriverContext
    ) async throws
        -> [ComposeContainer]
    {
        let filter = "label=com.docker.stack.namespace=\(unit.projectName)"
        let listed = try await run(["service", "ls", "--filter", filter, "--format", "{{json .}}"], in: "/", context)
        guard listed.succeeded else {
            throw ComposeError(unit: unit.id, message: "`docker service ls` failed: \(listed.outputTail.lastLines(5))")
        }
        let services = try Self.parseServices(listed.stdout)
        var updates: [String: UpdateStatus] = [:]
        for service in services {
            let inspected = try await run(
                ["service", "inspect", "--format", "{{json .UpdateStatus}}", service.name],
                in: "/",
                context
            )
            let text = inspected.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if inspected.succeeded, text != "null",
                let status = try? JSONDecoder().decode(UpdateStatus.self, from: Data(text.utf8))
            {
                updates[service.name] = status
            }
        }
        return Self.judge(services, updates: updates, project: unit.projectName)
    }

    package func projects(_ context: DriverContext) async -> [String: String]? {
        struct Stack: Decodable {
            let Name: String
            let Services: String
        }
        guard
            let result = try? await run(["stack", "ls", "--format", "{{json .}}"], in: "/", context),
            result.succeeded
        else { return nil }
        var projects: [String: String] = [:]
        for line in result.stdout.split(whereSeparator: \.isNewline) {
            guard let stack = try? JSONDecoder().decode(Stack.self, from: Data(line.utf8)) else { continue }
            projects[stack.Name] = "stack(\(stack.Services))"
        }
        return projects
    }

    package func ensureNetworks(_ networks: [String: NetworkSettings], _ context: DriverContext) async -> NetworkOutcome
    {
        NetworkOutcome()
    }

    package func pull(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> PullOutcome {
        // Every node pulls when it starts a task; `stack deploy --with-registry-auth` hands it the credentials.
        PullOutcome(result: DriverResult(status: 0, outputTail: ""), newer: [])
    }

    package func prune(_ context: DriverContext) async throws -> DriverResult {
        DriverResult(status: 0, outputTail: "")
    }

    package func logs(
        _ unit: ServiceUnit,
        in directory: String,
        follow: Bool,
        tail: Int?,
        _ context: DriverContext
    ) async -> Invocation {
        // There is no `docker stack logs`, and `docker service logs` takes one service: one command per service of
        // the stack, run side by side. A stack the engine does not know (yet) gets the first service name Swarm
        // would give it, so the person sees Docker's own "no such service".
        let filter = "label=com.docker.stack.namespace=\(unit.projectName)"
        let listed = try? await run(["service", "ls", "--filter", filter, "--format", "{{.Name}}"], in: "/", context)
        var names: [String] = []
        if let listed, listed.succeeded { names = listed.stdout.split(whereSeparator: \.isNewline).map(String.init) }
        names.sort()
        if names.isEmpty { names = [unit.projectName] }
        let commands = names.map { Self.docker(context) + Self.serviceLogsArguments($0, follow: follow, tail: tail) }
        return Invocation(argv: commands[0], directory: directory, alongside: Array(commands.dropFirst()))
    }

    /// `docker service logs`' arguments for one service (after the docker command).
    package static func serviceLogsArguments(_ service: String, follow: Bool, tail: Int?) -> [String] {
        var arguments = ["service", "logs", "--no-trunc"]
        if follow { arguments.append("--follow") }
        if let tail { arguments += ["--tail", String(tail)] }
        return arguments + [service]
    }

    /// Stacks need a Swarm manager: an engine that is none (never `docker swarm init`ed, or a worker) is an outage
    /// of this host, not a fault of the commit. The engine's own reachability is the ``ComposeDriver``'s check.
    package func outage(_ context: DriverContext) async -> String? {
        let info = try? await run(
            ["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"],
            in: "/",
            context
        )
        guard let info, info.succeeded else {
            let why = info.map { "exited \($0.status): \($0.outputTail.lastLines(2))" } ?? "cannot be started"
            return "cannot ask the Docker engine whether it is a Swarm manager (`docker info` \(why))"
        }
        let answer = info.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if answer == "active true" { return nil }
        return Self.notAManager(answer)
    }

    /// The same question through the Engine API (`GET /info`): no `docker info` process before each deploy. Only when
    /// the API cannot answer does it fall back to ``outage(_:)``.
    package func quickOutage(_ context: DriverContext) async -> String? {
        let api = context.engineAPI
        guard let role = try? await Task.detached(operation: { try api.swarmRole() }).value else {
            return await outage(context)
        }
        if role.state == "active" && role.manager { return nil }
        return Self.notAManager("\(role.state) \(role.manager)")
    }

    private static func notAManager(_ answer: String) -> String {
        "this host's Docker engine is not a Swarm manager (swarm state: \(answer)); units with "
            + "\"engine\": \"swarm\" need one: run `docker swarm init` here, or join this node as a manager"
    }
}
