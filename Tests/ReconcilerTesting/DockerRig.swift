import Foundation

/// Why the Docker rig could not do what a test asked.
package struct DockerRigError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }

    package init(_ message: String) { self.message = message }
}

/// One container of a Compose project, as `docker inspect` reports it.
package struct RigContainer: Sendable, Equatable {
    /// The full container id.
    package let id: String
    /// The Compose service (`com.docker.compose.service` label).
    package let service: String
    /// `created`, `running`, `restarting`, `exited`, `paused`, `dead`…
    package let state: String
    /// `starting`, `healthy` or `unhealthy`; nil when the container has no healthcheck.
    package let health: String?
    /// The exit code; meaningful once `state` is `exited`.
    package let exitCode: Int

    package init(id: String, service: String, state: String, health: String?, exitCode: Int) {
        self.id = id
        self.service = service
        self.state = state
        self.health = health
        self.exitCode = exitCode
    }
}

/// The Docker engine the integration tests run against: the one `scripts/testenv.sh up` starts
/// (or any engine `DOCKER_HOST` names), with Compose v2 and the local busybox image.
///
/// A test that needs Docker calls `try DockerRig.requireEngine()` first. Without an engine it
/// fails with a message saying how to start one: Docker tests never skip.
package enum DockerRig {
    /// The image fixtures run: busybox-static with `sh`, `sleep`, `wget`, `httpd`, `nc`… linked
    /// in `/bin`. Built locally by `scripts/testenv.sh up`; nothing is pulled.
    package static let testImage = "reconciler-test/busybox:1"

    /// What docker commands need from the environment: `DOCKER_HOST` as the test process got it.
    package static var environment: [String: String] {
        guard let host = ProcessInfo.processInfo.environment["DOCKER_HOST"], !host.isEmpty else { return [:] }
        return ["DOCKER_HOST": host]
    }

    /// Throws unless an engine answers `docker info` and has `testImage`. Checked once per process.
    package static func requireEngine() throws {
        try engineCheck.get()
    }

    private static let engineCheck: Result<Void, DockerRigError> = {
        let host = environment["DOCKER_HOST"].map { "DOCKER_HOST=\($0)" } ?? "DOCKER_HOST is unset"
        let advice =
            "\nStart the test engine with `scripts/testenv.sh up` and `eval \"$(scripts/testenv.sh env)\"`, "
            + "or run the whole suite with `make test`."
        let info: CommandResult
        do {
            info = try Command.run(["docker", "info", "--format", "{{.ServerVersion}}"], environment: environment)
        } catch {
            return .failure(
                DockerRigError("Docker tests need the docker CLI, which could not run: \(error)\(advice)")
            )
        }
        guard info.status == 0 else {
            return .failure(
                DockerRigError(
                    "No Docker engine answers (\(host)): \(info.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
                        + advice
                )
            )
        }
        let image = (try? Command.run(["docker", "image", "inspect", testImage], environment: environment))
        guard image?.status == 0 else {
            return .failure(
                DockerRigError("The engine at \(host) lacks the test image \(testImage).\(advice)")
            )
        }
        return .success(())
    }()

    /// A Compose project name no other test (or earlier run) uses: `rt-<prefix>-<8 hex>`.
    package static func uniqueProjectName(_ prefix: String) -> String {
        let clean = prefix.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        return "rt-\(clean)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Runs `docker compose --project-name <project> <arguments>` in `directory` and returns its
    /// stdout; throws `CommandFailure` (with Compose's stderr) unless it exits 0.
    @discardableResult
    package static func compose(_ arguments: [String], project: String, in directory: String) throws -> String {
        try Command.check(
            ["docker", "compose", "--project-name", project] + arguments,
            in: directory,
            environment: environment
        )
    }

    /// Ids of every container, running or not, labelled as belonging to Compose project `project`.
    package static func composeProjectIDs(project: String) throws -> [String] {
        let out = try Command.check(
            [
                "docker", "ps", "--all", "--no-trunc", "--filter", "label=com.docker.compose.project=\(project)",
                "--format", "{{.ID}}",
            ],
            environment: environment
        )
        return out.split(whereSeparator: \.isNewline).map(String.init)
    }

    /// Every container of Compose project `project` with its service, state, health and exit code,
    /// sorted by service then id.
    package static func containers(project: String) throws -> [RigContainer] {
        let ids = try composeProjectIDs(project: project)
        guard !ids.isEmpty else { return [] }
        // JSON, not a --format template: templates on missing keys (`.State.Health` of a container
        // without a healthcheck) fail with one docker client and not another.
        let result = try Command.run(["docker", "inspect"] + ids, environment: environment)
        // A container removed between `ps` and `inspect` is simply gone; anything else is an error.
        if result.status != 0 && !result.stderr.contains("No such") {
            throw CommandFailure(argv: ["docker", "inspect"] + ids, result: result)
        }
        let inspected: [Inspected]
        do {
            inspected = try JSONDecoder().decode([Inspected].self, from: Data(result.stdout.utf8))
        } catch {
            throw DockerRigError("cannot read `docker inspect` output for project \(project): \(error)")
        }
        return inspected.map { container in
            RigContainer(
                id: container.Id,
                service: container.Config.Labels?["com.docker.compose.service"] ?? "",
                state: container.State.Status,
                health: container.State.Health?.Status,
                exitCode: container.State.ExitCode
            )
        }
        .sorted { ($0.service, $0.id) < ($1.service, $1.id) }
    }

    /// Polls `containers(project:)` until `condition` holds, and returns what it saw then.
    /// Throws `DockerRigError` with the last states seen when `timeout` passes first.
    @discardableResult
    package static func waitFor(
        project: String,
        timeout: Duration = .seconds(60),
        pollInterval: Duration = .milliseconds(250),
        until condition: ([RigContainer]) -> Bool
    ) async throws -> [RigContainer] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let seen = try containers(project: project)
            if condition(seen) { return seen }
            guard clock.now < deadline else {
                let states = seen.map { "\($0.service): \($0.state) health=\($0.health ?? "none") exit=\($0.exitCode)" }
                throw DockerRigError(
                    "Compose project \(project) did not reach the expected state within \(timeout); last seen: "
                        + (states.isEmpty ? "no containers" : states.joined(separator: "; "))
                )
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// The part of `docker inspect`'s JSON that `containers(project:)` reads.
    private struct Inspected: Decodable {
        struct State: Decodable {
            struct Health: Decodable { let Status: String }
            let Status: String
            let ExitCode: Int
            let Health: Health?
        }
        struct Config: Decodable { let Labels: [String: String]? }
        let Id: String
        let State: State
        let Config: Config
    }

    /// Removes project `name` entirely — containers, networks, volumes, orphans — by its name, so
    /// it needs no Compose file. For `defer` blocks; a project that does not exist is no error.
    package static func removeProject(_ name: String) throws {
        // Run from `/` so Compose finds no compose file (it also searches parent directories).
        try Command.check(
            ["docker", "compose", "--project-name", name, "down", "--volumes", "--remove-orphans", "--timeout", "5"],
            in: "/",
            environment: environment
        )
    }
}
