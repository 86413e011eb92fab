import Foundation

/// The real service driver: Docker Compose, run by the one ``ProcessRunner`` (argument vectors, time limits, bounded
/// output). The system's commands are ``NixOSDriver``'s.
package struct ComposeDriver: ServiceDriver {
    package let runner: ProcessRunner

    package init(runner: ProcessRunner) {
        self.runner = runner
    }

    func compose(_ context: DriverContext) -> Compose {
        Compose(
            command: Self.composeCommand(context),
            runner: runner,
            environment: context.environment,
            sops: context.sops
        )
    }

    /// `services.compose`, with `docker compose` run as its plugin binary when the docker CLI would find one
    /// (``ComposePlugin``).
    private static func composeCommand(_ context: DriverContext) -> [String] {
        ComposePlugin.command(for: context.compose, environment: context.processEnvironment)
    }

    package func validate(
        _ unit: ServiceUnit,
        in directory: String,
        _ context: DriverContext
    ) async throws
        -> DriverResult
    {
        DriverResult(try await compose(context).validate(unit, in: directory))
    }

    package func up(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> DriverResult {
        DriverResult(try await compose(context).up(unit, in: directory, onLine: context.onLine))
    }

    package func down(
        _ unit: ServiceUnit,
        in directory: String,
        _ context: DriverContext
    ) async throws
        -> DriverResult
    {
        DriverResult(try await compose(context).down(unit, in: directory, onLine: context.onLine))
    }

    package func containers(
        _ unit: ServiceUnit,
        in directory: String?,
        _ context: DriverContext
    ) async throws
        -> [ComposeContainer]
    {
        if Self.speaksToDockerEngine(context) {
            let api = context.engineAPI
            let project = unit.projectName
            // One request to the engine (the health gate asks every 100 ms); Compose's `ps` only if it cannot answer.
            if let listed = try? await Task.detached(operation: { try api.containers(ofProject: project) }).value {
                return listed.map(\.asComposeContainer)
            }
        }
        let cwd = directory.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil } ?? "/"
        return try await compose(context).containers(unit, in: cwd)
    }

    /// How often the health gate looks: a request to the engine is cheap, a `compose ps` process is not.
    package func healthPollInterval(for unit: ServiceUnit, _ context: DriverContext) -> Duration {
        Self.speaksToDockerEngine(context) ? .milliseconds(100) : .milliseconds(500)
    }

    /// Whether `services.compose` is Docker's own (`docker compose`, `docker-compose`), so the engine it drives is the
    /// one ``DriverContext/engineAPI`` reaches; another tool's engine may be elsewhere.
    private static func speaksToDockerEngine(_ context: DriverContext) -> Bool {
        guard let tool = context.compose.first.map({ URL(fileURLWithPath: $0).lastPathComponent }) else { return false }
        return tool == "docker" || tool == "docker-compose"
    }

    package func outage(_ context: DriverContext) async -> String? {
        let version = try? await runner.run(
            Self.composeCommand(context) + ["version"],
            in: "/",
            environment: context.environment,
            timeout: .seconds(30)
        )
        guard let version, version.succeeded else {
            let why = version.map { "exited \($0.status): \($0.outputTail.lastLines(2))" } ?? "cannot be started"
            return "Docker Compose is not available (`\(context.compose.joined(separator: " ")) version` \(why))"
        }
        return await quickOutage(context)
    }

    /// One `/_ping` to the engine: no `compose version` process (it costs a tenth of a second or more).
    package func quickOutage(_ context: DriverContext) async -> String? {
        let api = context.engineAPI
        do {
            let response = try api.client.send(method: "GET", path: "/_ping")
            if response.status == 200 { return nil }
            return "Docker engine unreachable at \(api.client.endpoint): /_ping answered \(response.status)"
        } catch {
            return "Docker engine unreachable at \(api.client.endpoint): \(error)"
        }
    }

    package func projects(_ context: DriverContext) async -> [String: String]? {
        await compose(context).projects()
    }

    package func logs(
        _ unit: ServiceUnit,
        in directory: String,
        follow: Bool,
        tail: Int?,
        _ context: DriverContext
    ) async -> Invocation {
        Invocation(argv: compose(context).logsArguments(unit, follow: follow, tail: tail), directory: directory)
    }
}
