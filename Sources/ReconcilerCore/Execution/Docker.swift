/// Runs the `docker` CLI itself (networks, images, prune): the part of Docker that Compose does not cover.
package struct Docker: Sendable {
    /// The docker command prefix, e.g. `["docker"]` or `["sudo", "-n", "docker"]`.
    package let command: [String]
    package let runner: ProcessRunner

    package static let timeout: Duration = .seconds(120)
    package static let pruneTimeout: Duration = .seconds(30 * 60)

    package init(command: [String], runner: ProcessRunner) {
        self.command = command
        self.runner = runner
    }

    /// The docker CLI that goes with `services.compose`: `docker compose` → `docker`, `sudo -n docker compose` →
    /// `sudo -n docker`, `docker-compose` (v1) → `docker`; any other compose command (a wrapper script) → `docker`.
    /// - Parameters:
    ///   - compose: The compose command prefix.
    ///   - runner: Runs the commands.
    package init(compose: [String], runner: ProcessRunner) {
        var command = compose
        if command.count > 1, command.last == "compose" {
            command.removeLast()
        } else if let last = command.last, last == "docker-compose" || last.hasSuffix("/docker-compose") {
            command[command.count - 1] = String(last.dropLast("-compose".count))
        } else {
            command = ["docker"]
        }
        self.init(command: command, runner: runner)
    }

    /// Runs `docker <arguments>`.
    package func run(
        _ arguments: [String],
        timeout: Duration = Docker.timeout
    ) async throws(ProcessError)
        -> ProcessResult
    {
        try await runner.run(command + arguments, timeout: timeout)
    }

    /// Whether a network of that name exists.
    package func networkExists(_ name: String) async throws(ProcessError) -> Bool {
        try await run(["network", "inspect", "--format", "{{.Name}}", name]).succeeded
    }

    /// `docker network create`, labelled as made by the reconciler.
    package func createNetwork(_ name: String, driver: String) async throws(ProcessError) -> ProcessResult {
        try await run(["network", "create", "--driver", driver, "--label", "io.reconciler.declared=true", name])
    }

    /// The id an image reference points to locally, nil when there is no such image.
    package func imageID(_ reference: String) async throws(ProcessError) -> String? {
        let result = try await run(["image", "inspect", "--format", "{{.Id}}", reference])
        guard result.succeeded else { return nil }
        let id = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }

    /// `docker system prune -f`: stopped containers, unused networks, dangling images and build cache.
    package func prune() async throws(ProcessError) -> ProcessResult {
        try await run(["system", "prune", "--force"], timeout: Docker.pruneTimeout)
    }
}
