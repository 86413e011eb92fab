import Foundation
import ReconcilerTesting
import Testing

@testable import ReconcilerCore

/// `docker compose` runs as the plugin binary the docker CLI would pick, first found first; anything else stays as
/// configured.
@Suite struct ComposePluginTests {
    @Test func dockerComposeRunsThePluginTheCLIWouldFindFirst() throws {
        let dir = try TemporaryDirectory(prefix: "compose-plugin")
        defer { dir.remove() }
        let config = dir.appending("config")
        let home = dir.appending("home")
        let system = dir.appending("system")
        let mine = try plugin(in: "\(config)/cli-plugins")
        let homes = try plugin(in: "\(home)/.docker/cli-plugins")
        let systems = try plugin(in: system)

        func command(_ environment: [String: String], _ configured: [String] = ["docker", "compose"]) -> [String] {
            ComposePlugin.command(
                for: configured,
                environment: environment,
                systemDirectories: ["/nonexistent", system]
            )
        }
        #expect(command(["DOCKER_CONFIG": config, "HOME": home]) == [mine], "DOCKER_CONFIG's plugins first")
        #expect(command(["HOME": home]) == [homes], "then the home directory's")
        #expect(command([:]) == [systems], "then the system's")
        #expect(
            command(["DOCKER_CONFIG": dir.appending("empty"), "HOME": home]) == [systems],
            "DOCKER_CONFIG replaces ~/.docker"
        )

        // Not Docker's own command as is: left alone.
        #expect(command([:], ["docker-compose"]) == ["docker-compose"])
        #expect(command([:], ["sudo", "-n", "docker", "compose"]) == ["sudo", "-n", "docker", "compose"])
        #expect(command([:], ["/usr/bin/docker", "compose"]) == ["/usr/bin/docker", "compose"])
    }

    @Test func withoutAnExecutablePluginTheCLIRunsIt() throws {
        let dir = try TemporaryDirectory(prefix: "compose-plugin")
        defer { dir.remove() }
        let system = dir.appending("system")
        try FileManager.default.createDirectory(atPath: system, withIntermediateDirectories: true)
        // Present but not executable, or a directory of that name: the docker CLI would not run it either.
        _ = FileManager.default.createFile(atPath: "\(system)/docker-compose", contents: Data("#!/bin/sh\n".utf8))
        try FileManager.default.createDirectory(
            atPath: dir.appending("other/docker-compose"),
            withIntermediateDirectories: true
        )
        let command = ComposePlugin.command(
            for: ["docker", "compose"],
            environment: ["HOME": dir.appending("nohome")],
            systemDirectories: [system, dir.appending("other")]
        )
        #expect(command == ["docker", "compose"])
    }

    private func plugin(in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/docker-compose"
        _ = FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }
}
