import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

/// The rig itself: Compose projects on the local test image come up, report health, and are torn
/// down. If these fail, every Docker-backed test of the reconciler will too.
@Suite("Docker rig")
struct DockerRigTests {
    /// Writes `compose.yml` into a fresh temp dir, runs `body` with a unique project name, then
    /// removes the project and the dir whatever happened.
    private func withProject(
        _ prefix: String,
        compose: String,
        _ body: (_ project: String, _ directory: String) async throws -> Void
    ) async throws {
        try DockerRig.requireEngine()
        let directory = try TemporaryDirectory(prefix: "rig-\(prefix)")
        defer { directory.remove() }
        try compose.write(toFile: directory.appending("compose.yml"), atomically: true, encoding: .utf8)
        let project = DockerRig.uniqueProjectName(prefix)
        defer { try? DockerRig.removeProject(project) }
        try await body(project, directory.path)
    }

    /// The reconciler's own health-gate verdict on the project, from the `compose ps` output it reads.
    private func gate(_ project: String, in directory: String) throws -> HealthGate.Verdict? {
        let json = try DockerRig.compose(["ps", "--all", "--format", "json"], project: project, in: directory)
        return HealthGate.judge(try Compose.parseContainers(json))
    }

    private func passed(_ verdict: HealthGate.Verdict?) -> Bool {
        if case .passed? = verdict { return true }
        return false
    }

    @Test("a service with a healthcheck becomes healthy")
    func healthcheck() async throws {
        let compose = """
            services:
              web:
                image: \(DockerRig.testImage)
                init: true
                command: ["sh", "-c", "touch /tmp/ok; exec sleep 3600"]
                healthcheck:
                  test: ["CMD", "cat", "/tmp/ok"]
                  interval: 1s
                  retries: 3
            """
        try await withProject("healthy", compose: compose) { project, directory in
            try DockerRig.compose(["up", "-d"], project: project, in: directory)
            let seen = try await DockerRig.waitFor(project: project) { containers in
                !containers.isEmpty && containers.allSatisfy { $0.health == "healthy" }
            }
            #expect(seen.map(\.service) == ["web"])
            #expect(seen.first?.state == "running")
            #expect(seen.first?.health == "healthy")
            #expect(passed(try gate(project, in: directory)))
        }
    }

    @Test("a one-shot service passes the health gate exactly when it exits 0", arguments: [("true", 0), ("false", 1)])
    func oneShot(command: String, exitCode: Int) async throws {
        let compose = """
            services:
              job:
                image: \(DockerRig.testImage)
                command: ["\(command)"]
                restart: "no"
            """
        try await withProject("oneshot-\(command)", compose: compose) { project, directory in
            try DockerRig.compose(["up", "-d"], project: project, in: directory)
            let seen = try await DockerRig.waitFor(project: project) { containers in
                !containers.isEmpty && containers.allSatisfy { $0.state == "exited" }
            }
            #expect(seen.count == 1)
            #expect(seen.first?.exitCode == exitCode)
            #expect(seen.first?.health == nil)
            #expect(passed(try gate(project, in: directory)) == (exitCode == 0))
        }
    }

    /// The engine runs with `--bridge=none --iptables=false`; Compose's per-project default
    /// network must still carry traffic and DNS between services (docs/testing.md relies on it).
    @Test("services on the project's default network reach each other by name")
    func projectNetwork() async throws {
        let compose = """
            services:
              server:
                image: \(DockerRig.testImage)
                init: true
                command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
              client:
                image: \(DockerRig.testImage)
                init: true
                command: ["sleep", "3600"]
                healthcheck:
                  test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://server:8080/"]
                  interval: 1s
                  retries: 30
            """
        try await withProject("network", compose: compose) { project, directory in
            try DockerRig.compose(["up", "-d"], project: project, in: directory)
            let seen = try await DockerRig.waitFor(project: project) { containers in
                containers.contains { $0.service == "client" && $0.health == "healthy" }
            }
            #expect(seen.map(\.service) == ["client", "server"])
            #expect(passed(try gate(project, in: directory)))
        }
    }

    @Test("removeProject leaves no container of the project behind")
    func removeProject() async throws {
        let compose = """
            services:
              a:
                image: \(DockerRig.testImage)
                init: true
                command: ["sleep", "3600"]
              b:
                image: \(DockerRig.testImage)
                command: ["true"]
                restart: "no"
            """
        try await withProject("remove", compose: compose) { project, directory in
            try DockerRig.compose(["up", "-d"], project: project, in: directory)
            #expect(try DockerRig.composeProjectIDs(project: project).count == 2)
            try DockerRig.removeProject(project)
            #expect(try DockerRig.composeProjectIDs(project: project).isEmpty)
            // Removing a project that is already gone is no error.
            try DockerRig.removeProject(project)
        }
    }
}
