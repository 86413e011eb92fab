import Foundation
import Logging

/// One container of a Compose project, as `compose ps --format json` reports it.
package struct ComposeContainer: Sendable, Equatable, Decodable {
    package let name: String
    package let service: String
    package let state: String
    package let health: String
    package let exitCode: Int

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case service = "Service"
        case state = "State"
        case health = "Health"
        case exitCode = "ExitCode"
    }

    package init(name: String, service: String, state: String, health: String, exitCode: Int) {
        self.name = name
        self.service = service
        self.state = state
        self.health = health
        self.exitCode = exitCode
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "?"
        service = try c.decodeIfPresent(String.self, forKey: .service) ?? "?"
        state = try c.decodeIfPresent(String.self, forKey: .state) ?? "unknown"
        health = try c.decodeIfPresent(String.self, forKey: .health) ?? ""
        exitCode = try c.decodeIfPresent(Int.self, forKey: .exitCode) ?? 0
    }

    /// Running, and healthy where it has a healthcheck.
    package var isUp: Bool { state == "running" && (health.isEmpty || health == "healthy") }
    /// A one-shot that finished well.
    package var isCompleted: Bool { state == "exited" && exitCode == 0 }
}

/// Runs Docker Compose for one unit: always with an explicit project name and Compose file, cwd = the unit's directory.
package struct Compose: Sendable {
    /// The compose command prefix (`services.compose`), e.g. `["docker", "compose"]`.
    package let command: [String]
    package let runner: ProcessRunner
    /// Added to Compose's environment (the deployment marker, see `Leftovers`).
    package let environment: [String: String]
    /// Decrypts a unit's `.env.sops` for each command (nil: `.env.sops` files are not read).
    package let sops: SopsEnvironment?

    package init(
        command: [String],
        runner: ProcessRunner,
        environment: [String: String] = [:],
        sops: SopsEnvironment? = nil
    ) {
        self.command = command
        self.runner = runner
        self.environment = environment
        self.sops = sops
    }

    package static let upTimeout: Duration = .seconds(30 * 60)
    package static let shortTimeout: Duration = .seconds(120)

    private func argv(_ unit: ServiceUnit, _ arguments: [String]) -> [String] {
        command + ["--project-name", unit.projectName, "--file", unit.composeFile] + arguments
    }

    /// Runs `body` with the `--env-file` arguments of the unit's decrypted `.env.sops` (none when it has no such file),
    /// and removes the plaintext afterwards. A file that cannot be decrypted is a failed command naming the reason,
    /// unless `required` is false (`down` of a pruned unit needs no values: it runs without them).
    private func withSecrets(
        _ unit: ServiceUnit,
        in directory: String,
        _ arguments: [String],
        required: Bool = true,
        _ body: ([String]) async throws(ProcessError) -> ProcessResult
    ) async throws(ProcessError) -> ProcessResult {
        var envFiles: SopsEnvFiles?
        do {
            envFiles = try sops?.envFiles(forDirectory: directory)
        } catch {
            if required {
                let message = "\(unit.directory)/\(SopsEnvironment.fileName): \(error.message)"
                return ProcessResult(
                    argv: argv(unit, arguments),
                    status: 1,
                    stdout: "",
                    outputTail: message,
                    duration: .zero
                )
            }
        }
        defer { envFiles?.remove() }
        let prefix = command + ["--project-name", unit.projectName, "--file", unit.composeFile]
        return try await body(prefix + (envFiles?.arguments ?? []) + arguments)
    }

    /// `config --quiet`: does the Compose file (with its `.env`) parse and interpolate?
    package func validate(_ unit: ServiceUnit, in directory: String) async throws(ProcessError) -> ProcessResult {
        try await withSecrets(unit, in: directory, ["config", "--quiet"]) { argv throws(ProcessError) in
            try await runner.run(argv, in: directory, timeout: Self.shortTimeout)
        }
    }

    package func up(
        _ unit: ServiceUnit,
        in directory: String,
        onLine: (@Sendable (String) -> Void)? = nil
    ) async throws(ProcessError) -> ProcessResult {
        try await withSecrets(unit, in: directory, ["up", "--detach", "--remove-orphans"]) {
            argv throws(ProcessError) in
            try await runner.run(argv, in: directory, environment: environment, timeout: Self.upTimeout, onLine: onLine)
        }
    }

    package func down(
        _ unit: ServiceUnit,
        in directory: String,
        onLine: (@Sendable (String) -> Void)? = nil
    ) async throws(ProcessError) -> ProcessResult {
        try await withSecrets(unit, in: directory, ["down", "--remove-orphans"], required: false) {
            argv throws(ProcessError) in
            try await runner.run(argv, in: directory, environment: environment, timeout: Self.upTimeout, onLine: onLine)
        }
    }

    /// Every container of the unit's project, stopped ones included.
    package func containers(_ unit: ServiceUnit, in directory: String?) async throws -> [ComposeContainer] {
        // Without the file: `ps` by project name works even when the unit's directory is gone.
        let argv = command + ["--project-name", unit.projectName, "ps", "--all", "--format", "json"]
        let result = try await runner.run(argv, in: directory, timeout: Self.shortTimeout)
        guard result.succeeded else {
            throw ComposeError(
                unit: unit.id,
                message: "`\(argv.joined(separator: " "))` failed: \(result.outputTail.lastLines(5))"
            )
        }
        return try Self.parseContainers(result.stdout)
    }

    /// Every Compose project's status in one call (`compose ls --all`), by project name; nil when Compose can't answer.
    package func projects() async -> [String: String]? {
        struct Project: Decodable {
            let Name: String
            let Status: String
        }
        guard
            let result = try? await runner.run(
                command + ["ls", "--all", "--format", "json"],
                in: "/",
                timeout: .seconds(60)
            ),
            result.succeeded,
            let projects = try? JSONDecoder().decode([Project].self, from: Data(result.stdout.utf8))
        else { return nil }
        return Dictionary(projects.map { ($0.Name, $0.Status) }, uniquingKeysWith: { a, _ in a })
    }

    /// The argument vector of `compose logs` for the unit.
    package func logsArguments(_ unit: ServiceUnit, follow: Bool, tail: Int?) -> [String] {
        var arguments = ["logs"]
        if follow { arguments.append("--follow") }
        if let tail { arguments += ["--tail", String(tail)] }
        return argv(unit, arguments)
    }

    /// Compose prints either one JSON array or one object per line, depending on its version.
    package static func parseContainers(_ text: String) throws -> [ComposeContainer] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [] }
        let decoder = JSONDecoder()
        if trimmed.hasPrefix("[") {
            return try decoder.decode([ComposeContainer].self, from: Data(trimmed.utf8))
        }
        return try trimmed.split(whereSeparator: \.isNewline).map {
            try decoder.decode(ComposeContainer.self, from: Data($0.utf8))
        }
    }
}

package struct ComposeError: Error, Sendable, CustomStringConvertible {
    package let unit: String
    package let message: String
    package var description: String { "\(unit): \(message)" }
}
