import Foundation

/// Stops and starts the rig's own Docker engine, for tests of an engine outage. Only through `scripts/testenv.sh`
/// (which finds dockerd by its pidfile, never by name), and only when `DOCKER_HOST` is that engine: stopping some
/// other engine the tests were pointed at is refused, loudly.
package enum RigEngine {
    /// `scripts/testenv.sh` of this checkout.
    package static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/testenv.sh").path
    }

    /// Whether the engine the tests use answers now.
    package static var answers: Bool {
        (try? Command.run(["docker", "info", "--format", "{{.ServerVersion}}"], environment: DockerRig.environment))?
            .status == 0
    }

    /// `scripts/testenv.sh down`, then checks that the engine the tests use no longer answers.
    package static func stop() throws {
        let env = try Command.run([script, "env"])
        let ours = env.stdout.contains("DOCKER_HOST=") ? env.stdout : ""
        guard let host = DockerRig.environment["DOCKER_HOST"], !host.isEmpty, ours.contains(host) else {
            throw DockerRigError(
                "cannot stop the engine at \(DockerRig.environment["DOCKER_HOST"] ?? "(DOCKER_HOST unset)"): it is "
                    + "not the rig's own (`scripts/testenv.sh env` says: \(env.output.trimmingCharacters(in: .whitespacesAndNewlines))). "
                    + "Run the engine-outage tests with `make test`, which starts the rig's engine."
            )
        }
        let down = try Command.run([script, "down"])
        guard down.status == 0 else { throw DockerRigError("`scripts/testenv.sh down` failed:\n\(down.output)") }
        guard !answers else { throw DockerRigError("the engine at \(host) still answers after `testenv.sh down`") }
    }

    /// `scripts/testenv.sh up`, then checks that the engine the tests use answers again.
    package static func start() throws {
        let up = try Command.run([script, "up"])
        guard up.status == 0 else { throw DockerRigError("`scripts/testenv.sh up` failed:\n\(up.output)") }
        guard answers else {
            throw DockerRigError(
                "`scripts/testenv.sh up` succeeded but \(DockerRig.environment["DOCKER_HOST"] ?? "DOCKER_HOST") does not answer"
            )
        }
    }

    /// Starts the engine again unless it answers: for a `defer` in every test that stops it, so the rig is back up
    /// when the test ends, also on failure.
    package static func ensureRunning() {
        if !answers { try? start() }
    }
}
