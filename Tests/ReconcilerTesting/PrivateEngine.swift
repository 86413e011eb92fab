import Foundation

/// A Docker engine of one test's own, started by `scripts/testenv.sh` in a state directory of its own
/// (`TESTENV_DIR`), so a test may stop it (a system switch that breaks the engine) without touching the rig's shared
/// engine. ``stop()`` and ``start()`` are the shell commands a stand-in activation script runs; ``remove()`` ends it.
package struct PrivateEngine: Sendable {
    /// The engine's state directory (short: a unix socket path must fit in 107 bytes).
    package let directory: String

    /// `DOCKER_HOST` for this engine.
    package var host: String { "unix://\(directory)/docker.sock" }

    /// Starts a new engine (with the test image) and waits until it answers.
    package init() throws {
        directory = "/tmp/rcnx-\(UUID().uuidString.prefix(8).lowercased())"
        let up = try Command.run(["sh", "-c", start])
        guard up.status == 0 else {
            remove()
            throw DockerRigError("cannot start a private Docker engine in \(directory):\n\(up.output)")
        }
    }

    /// The shell command that stops it (as a broken `switch-to-configuration test` would).
    package var stop: String { "DOCKER_HOST= TESTENV_DIR='\(directory)' '\(RigEngine.script)' down" }

    /// The shell command that starts it again and waits until it answers.
    package var start: String { "DOCKER_HOST= TESTENV_DIR='\(directory)' '\(RigEngine.script)' up" }

    /// Stops the engine and deletes its state (for a `defer`).
    package func remove() {
        _ = try? Command.run(["sh", "-c", "DOCKER_HOST= TESTENV_DIR='\(directory)' '\(RigEngine.script)' purge"])
    }
}
