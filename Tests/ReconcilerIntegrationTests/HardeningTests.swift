import Foundation
import ReconcilerTesting
import Testing

/// Hardening on the real engine: an outage is not a bad commit, and no secret or control character reaches the
/// operator's terminal, the JSON, or the state file.
@Suite(.serialized)
struct HardeningTests {
    @Test func anUnreachableEngineIsAnOutageAndTheNextSyncDeploysWithoutResume() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        try lab.homelab.commit(["services/\(lab.web)/compose.yml": Homelab.service(version: "2")], message: "web v2")
        let dead = lab.homelab.dir.appending("no-engine.sock")
        let down = try ReconcilerBinary.run(
            ["sync"],
            homelab: lab.homelab,
            extraEnvironment: ["DOCKER_HOST": "unix://\(dead)"]
        )
        #expect(down.status == 1, "\(down.output)")
        #expect(down.output.contains("Docker engine unreachable at unix://\(dead)"), "\(down.output)")
        #expect(try Containers.version(lab.web) == "1", "nothing changed")
        let status = try lab.run("status")
        #expect(status.output.contains("Docker engine unreachable"), "status shows the outage: \(status.output)")

        let back = try lab.run("sync")
        #expect(back.status == 0, "deployed without resume: \(back.output)")
        #expect(try Containers.version(lab.web) == "2")
    }

    @Test func aSecretComposeEchoesIsMaskedEverywhereAndControlCharactersEscaped() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let secret = "s3cr3tPortValue"
        try GitFixture.write("WEB_PORT=\(secret)\n", to: "services/\(lab.web)/.env", in: lab.homelab.deploy)
        let broken = """
            services:
              app:
                image: \(DockerRig.testImage)
                ports: ["${WEB_PORT}"]

            """
        try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": broken],
            message: "\u{1b}]0;pwned\u{07}web port"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 1, "\(sync.output)")
        #expect(sync.output.contains("not valid"), "Compose's error is shown: \(sync.output)")
        #expect(!sync.output.contains(secret), "\(sync.output)")
        #expect(!sync.output.contains("\u{1b}"), "the summary's escape sequence is escaped")
        for command in [["status", "--json"], ["history", "--json"], ["status"], ["history"]] {
            let result = try ReconcilerBinary.run(command, homelab: lab.homelab)
            #expect(!result.output.contains(secret), "\(command): \(result.output)")
            #expect(!result.output.contains("\u{1b}"), "\(command)")
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: lab.homelab.stateDir) {
            let path = "\(lab.homelab.stateDir)/\(name)"
            guard let bytes = FileManager.default.contents(atPath: path) else { continue }
            #expect(!String(decoding: bytes, as: UTF8.self).contains(secret), "\(name) holds the secret")
        }
    }
}
