import Foundation

/// `docker compose …` is the docker CLI starting its Compose plugin: the CLI starts, runs the plugin once to read its
/// metadata, then runs it again with the command. The plugin binary run directly (Compose's standalone mode, the way
/// `docker-compose …` runs) does the same work on the same engine and files, without those two extra process starts
/// (about 0.1 s of each `compose config`, `up`, `down` on a small machine; `docs/benchmarks.md`).
package enum ComposePlugin {
    /// Where the docker CLI looks for its plugins on Linux, after `$DOCKER_CONFIG/cli-plugins` (or
    /// `~/.docker/cli-plugins`), in its order.
    package static let systemDirectories = [
        "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins",
    ]

    /// The command to run for the configured `services.compose`: the Compose plugin binary itself when the
    /// configured command is exactly `docker compose` and the plugin is where the docker CLI would find it first;
    /// otherwise the configured command unchanged (another tool, a wrapper, `sudo`, or no plugin found).
    /// - Parameter environment: The environment the command runs with (`DOCKER_CONFIG`, `HOME`).
    package static func command(
        for configured: [String],
        environment: [String: String],
        systemDirectories: [String] = systemDirectories
    ) -> [String] {
        guard configured == ["docker", "compose"],
            let plugin = locate(environment: environment, systemDirectories: systemDirectories)
        else {
            return configured
        }
        return [plugin]
    }

    /// The `docker-compose` plugin binary the docker CLI would run, or nil.
    package static func locate(
        environment: [String: String],
        systemDirectories: [String] = systemDirectories
    ) -> String? {
        var directories: [String] = []
        if let config = environment["DOCKER_CONFIG"], config.hasPrefix("/") {
            directories.append("\(config)/cli-plugins")
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            directories.append("\(home)/.docker/cli-plugins")
        }
        directories += systemDirectories
        return directories.lazy.map { "\($0)/docker-compose" }.first(where: ProcessRunner.isExecutableFile)
    }
}
