import Foundation

/// A homelab repository for end-to-end tests, the way an operator has it: a bare "remote", an author clone that
/// commits and pushes, and a deploy clone the reconciler works on, plus a state dir and a stand-in system switch.
///
/// Unit names get a per-fixture tag so tests sharing one Docker engine never share a Compose project.
package final class Homelab: @unchecked Sendable {
    package let dir: TemporaryDirectory
    package let remote: String
    package let author: String
    package let deploy: String
    package let stateDir: String
    /// The stand-in for `nixos-rebuild switch`: appends a line per call to `switchLog`, fails when the deployed
    /// `nixos/configuration.nix` contains `FAIL`, or always while `switchAlwaysFails` exists.
    package let switchScript: String
    package let switchLog: String
    package let switchAlwaysFails: String
    /// A short random tag, unique to this fixture.
    package let tag: String

    package init() throws {
        dir = try TemporaryDirectory(prefix: "homelab")
        tag = String(UUID().uuidString.lowercased().filter(\.isLetter).prefix(5))
        remote = dir.appending("remote.git")
        author = dir.appending("author")
        deploy = dir.appending("deploy")
        stateDir = dir.appending("state")
        switchScript = dir.appending("switch.sh")
        switchLog = dir.appending("switch.log")
        switchAlwaysFails = dir.appending("switch-always-fails")
        try """
        #!/bin/sh
        # Stand-in for nixos-rebuild switch: records the call, fails on demand.
        echo "switch $* cwd=$(pwd) config=$(cat nixos/configuration.nix 2>/dev/null | tr '\\n' ' ')" >> '\(switchLog)'
        if [ -e '\(switchAlwaysFails)' ]; then echo "stand-in switch: told to fail" >&2; exit 1; fi
        if grep -q FAIL nixos/configuration.nix 2>/dev/null; then echo "stand-in switch: configuration has FAIL" >&2; exit 1; fi
        echo "stand-in switch: activated"
        """.write(toFile: switchScript, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: switchScript)
        try Command.check(["git", "init", "--quiet", "--bare", "--initial-branch=main", remote])
        try Command.check(["git", "init", "--quiet", "--initial-branch=main", author])
        try git(["remote", "add", "origin", remote])
    }

    private static let identity = [
        "GIT_AUTHOR_NAME": "Homelab Operator", "GIT_AUTHOR_EMAIL": "op@homelab.test",
        "GIT_COMMITTER_NAME": "Homelab Operator", "GIT_COMMITTER_EMAIL": "op@homelab.test",
    ]

    /// Runs git in the author clone.
    @discardableResult
    package func git(_ args: [String], in directory: String? = nil) throws -> String {
        try Command.check(["git", "-C", directory ?? author] + args, environment: Self.identity)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes (or with nil, deletes) files in the author clone, commits, pushes, and returns the new commit's sha.
    @discardableResult
    package func commit(_ files: [String: String?], message: String) throws -> String {
        for (path, content) in files {
            let full = "\(author)/\(path)"
            if let content {
                try FileManager.default.createDirectory(
                    atPath: (full as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
                try content.write(toFile: full, atomically: true, encoding: .utf8)
            } else {
                try? FileManager.default.removeItem(atPath: full)
            }
        }
        try git(["add", "-A"])
        try git(["commit", "--quiet", "--allow-empty", "-m", message])
        try git(["push", "--quiet", "origin", "HEAD:main"])
        return try git(["rev-parse", "HEAD"])
    }

    /// Clones the remote into the deploy dir (the operator's `git clone … /opt/homelab`).
    package func cloneDeploy() throws {
        try Command.check(["git", "clone", "--quiet", remote, deploy])
    }

    /// The reconciler.json every fixture starts from, pointing the system switch at the stand-in.
    package func config(
        units: [String: [String]] = [:],
        healthTimeout: String = "30s",
        systemCheck: [String]? = nil,
        extra: String = ""
    ) -> String {
        let check = systemCheck.map { ", \"check\": [\($0.map { "\"\($0)\"" }.joined(separator: ", "))]" } ?? ""
        let unitLines = units.sorted { $0.key < $1.key }.map { id, deps in
            "    \"\(id)\": { \"dependsOn\": [\(deps.map { "\"\($0)\"" }.joined(separator: ", "))] }"
        }.joined(separator: ",\n")
        return """
            {
              "system": { "switch": ["\(switchScript)", "--flake", "./nixos#homelab"]\(check) },
              "services": { "healthTimeout": "\(healthTimeout)", "parallelism": 2 },
              "units": {
            \(unitLines)
              }\(extra.isEmpty ? "" : ",\n  " + extra)
            }

            """
    }

    /// A Compose file on the local test image: one long-running container with a healthcheck that passes (or, with
    /// `healthy: false`, fails), carrying `version` as a label so tests can tell which commit's container runs.
    /// With `slowStart`, the container becomes healthy only after that many seconds.
    package static func service(version: String, healthy: Bool = true, slowStart: Int = 0, extra: String = "") -> String
    {
        """
        services:
          app:
            image: \(DockerRig.testImage)
            command: ["sh", "-c", "echo started version \(version); sleep \(slowStart); touch /tmp/ok; exec sleep 3600"]
            network_mode: none
            stop_signal: SIGKILL
            labels:
              homelab.version: "\(version)"
            healthcheck:
              test: ["CMD", "\(healthy ? "cat" : "false")", "/tmp/ok"]
              interval: 1s
              timeout: 2s
              retries: 2
              start_period: \(slowStart > 0 ? slowStart + 5 : 0)s
        \(extra)
        """
    }

    /// Lines the stand-in switch recorded.
    package func switchCalls() -> [String] {
        ((try? String(contentsOfFile: switchLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Takes down every Compose project this fixture's units could have made, and removes the files.
    package func tearDown(projects: [String]) {
        for p in projects { try? DockerRig.removeProject(p) }
        dir.remove()
    }
}

/// Runs the built `reconciler` binary as an operator would.
package enum ReconcilerBinary {
    /// The binary beside the test bundle (`swift build` puts both in the same folder), or `RECONCILER_BIN`.
    package static var path: String {
        if let env = ProcessInfo.processInfo.environment["RECONCILER_BIN"] { return env }
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDir, bundleDir.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("reconciler").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/reconciler").path
    }

    /// `reconciler <args> --repo <deploy> --state-dir <state>`, with the host file looked for at
    /// `<homelab>/host-config.json` (`RECONCILER_HOST_CONFIG`), never the machine's /etc/reconciler/config.json.
    package static func run(
        _ args: [String],
        homelab: Homelab,
        extraEnvironment: [String: String] = [:]
    ) throws
        -> CommandResult
    {
        try Command.run(
            [path] + args + ["--repo", homelab.deploy, "--state-dir", homelab.stateDir],
            environment: DockerRig.environment
                .merging(["RECONCILER_HOST_CONFIG": homelab.dir.appending("host-config.json")]) { _, b in b }
                .merging(extraEnvironment) { _, b in b }
        )
    }
}
