import Foundation
import ReconcilerTesting
import Testing

/// The NixOS module and the plain systemd unit are well-formed.
struct PackagingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func available(_ tool: String) -> Bool {
        (try? Command.run(["sh", "-c", "command -v \(tool)"]))?.status == 0
    }

    @Test func nixModuleParses() throws {
        try #require(
            Self.available("nix-instantiate"),
            "nix-instantiate is installed by scripts/testenv.sh up (nix-bin)"
        )
        let path = Self.root.appendingPathComponent("nixos/modules/reconciler.nix").path
        let result = try Command.run(["nix-instantiate", "--parse", path])
        #expect(result.status == 0, "\(result.output)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for option in ["enable", "package", "repo", "configFile", "stateDir", "listen", "secretFile"] {
            #expect(text.contains("\(option) = "), "option \(option)")
        }
        for needle in ["docker.service", "network-online.target", "Restart = \"on-failure\"", "StateDirectory"] {
            #expect(text.contains(needle), "\(needle)")
        }
    }

    @Test func systemdUnitVerifies() throws {
        // Debian's base image has systemd-analyze; a machine without it fails here rather than skipping quietly.
        try #require(Self.available("systemd-analyze"), "systemd-analyze is missing: apt-get install systemd")
        let dir = try TemporaryDirectory(prefix: "unit")
        defer { dir.remove() }
        let unit = try String(
            contentsOf: Self.root.appendingPathComponent("contrib/reconciler.service"),
            encoding: .utf8
        )
        #expect(unit.contains("After=network-online.target docker.service"))
        #expect(unit.contains("Restart=on-failure"))
        // Point ExecStart at the built binary so verify can check it exists.
        let path = dir.appending("reconciler.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/reconciler", with: ReconcilerBinary.path)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Command.run(["systemd-analyze", "verify", "--man=no", path])
        let problems = result.output.split(separator: "\n").filter {
            // A build machine without Docker's unit file installed: not the unit's fault.
            !$0.contains("docker.service") && !$0.contains("nixbld")
        }
        #expect(result.status == 0 || problems.isEmpty, "\(result.output)")
    }
}
