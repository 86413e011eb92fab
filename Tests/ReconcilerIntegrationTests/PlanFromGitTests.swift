import Foundation
import ReconcilerTesting
import Testing

/// `plan --from --to` the way a forge's CI runs it: the built binary in a fresh clone, with no state directory, no
/// DOCKER_HOST and no host file, and a `docker` on PATH that records being called (it must not be).
struct PlanFromGitTests {
    @Test func aFreshCloneWithNoStateAndNoDockerPrintsTheReviewedPlans() throws {
        for hosts in [false, true] {
            let (fixture, from, to) = try PlanFixture.commits(hosts: hosts)
            defer { fixture.remove() }
            let fresh = fixture.directory.appending("fresh")
            _ = try GitFixture.git(["clone", "--quiet", fixture.remote, fresh])
            let bin = fixture.directory.appending("bin")
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            let calls = fixture.directory.appending("docker-calls")
            try "#!/bin/sh\necho \"$@\" >> \(calls)\nexit 1\n".write(
                toFile: "\(bin)/docker",
                atomically: true,
                encoding: .utf8
            )
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(bin)/docker")
            let state = fixture.directory.appending("no-state")
            func plan(_ extra: [String]) throws -> CommandResult {
                try Command.run(
                    [
                        "/usr/bin/env", "-i", "PATH=\(bin)", "HOME=\(fixture.directory.path)",
                        "RECONCILER_STATE_DIR=\(state)",
                    ]
                        + [ReconcilerBinary.path, "plan", "--repo", fresh, "--from", from, "--to", to] + extra
                )
            }
            let markdown = try plan(["--format", "markdown"])
            #expect(markdown.status == 0, "\(markdown.output)")
            let expected = try String(
                contentsOf: PlanFixture.expected.appendingPathComponent(hosts ? "hosts.md" : "one-host.md"),
                encoding: .utf8
            )
            #expect(PlanFixture.masked(markdown.stdout, from: from, to: to) == expected, "\(markdown.stdout)")

            let json = try plan(["--json"])
            #expect(json.status == 0, "\(json.output)")
            let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8))
            if hosts {
                #expect((parsed as? [[String: Any]])?.compactMap { $0["host"] as? String } == ["edge", "media"])
            } else {
                let plan = parsed as? [String: Any]
                #expect(plan?["runningUnknown"] as? Bool == true)
                #expect((plan?["changes"] as? [Any])?.isEmpty == false)
            }
            let both = try plan(["--json", "--format", "markdown"])
            #expect(both.status != 0 && both.stderr.contains("--json and --format markdown"), "\(both.output)")

            #expect(!FileManager.default.fileExists(atPath: state), "no state directory is made")
            #expect(!FileManager.default.fileExists(atPath: calls), "docker was not run")
        }
    }
}
