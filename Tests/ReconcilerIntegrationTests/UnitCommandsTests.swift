import Foundation
import ReconcilerTesting
import Testing

/// `deploy`, `stop`, `restart`, `validate`, `logs`: an operator acting on units at the deployed commit.
@Suite(.serialized)
struct UnitCommandsTests {
    @Test func stoppedDependencyIsBroughtUpWithAChangedUnit() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let stop = try lab.run("stop", lab.db)
        #expect(stop.status == 0, "\(stop.output)")
        #expect(try Containers.running(lab.db).isEmpty)
        let status = try decodeJSON(try lab.run("status", "--json").stdout)
        let db = (status["units"] as? [[String: Any]] ?? []).first { $0["id"] as? String == lab.db }
        #expect(db?["state"] as? String == "stopped")

        let appBefore = try Containers.running(lab.app)
        try lab.homelab.commit(["services/\(lab.web)/compose.yml": Homelab.service(version: "2")], message: "web v2")
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(sync.stdout.contains("dependency not running"), "\(sync.output)")
        #expect(try Containers.running(lab.db).count == 1, "the stopped dependency came back")
        #expect(try Containers.running(lab.app) == appBefore, "a running dependency is left alone")
        #expect(try Containers.version(lab.web) == "2")
    }

    @Test func deployEnsuresUnitsAndRestartRecreates() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        #expect(try lab.run("stop", lab.web, lab.app).status == 0)

        let deploy = try lab.run("deploy", lab.web)
        #expect(deploy.status == 0, "\(deploy.output)")
        #expect(try Containers.running(lab.app).count == 1, "its dependency came along")
        #expect(try Containers.running(lab.web).count == 1)

        let before = try Containers.running(lab.web)
        let restart = try lab.run("restart", lab.web)
        #expect(restart.status == 0, "\(restart.output)")
        #expect(try Containers.running(lab.web) != before)
        #expect(try Containers.running(lab.web).count == 1)

        let unknown = try lab.run("deploy", "nosuch")
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("nosuch"))
        let all = try lab.run("deploy", "--all")
        #expect(all.status == 0, "\(all.output)")
        let logs = try lab.run("logs", lab.web, "--tail", "5")
        #expect(logs.status == 0, "\(logs.output)")
        #expect(logs.stdout.contains("started version 1"), "the container's own output: \(logs.output)")
        #expect(logs.stdout.contains("app-1  | "), "Compose's prefix names the container: \(logs.output)")
    }

    @Test func validateChecksTheWorkTree() throws {
        let lab = try Lab(extraFiles: ["services/x/.gitkeep": ""])
        defer { lab.tearDown() }
        let clean = try lab.run("validate")
        #expect(clean.status == 0, "\(clean.output)")

        try "KEY=1\n".write(
            toFile: "\(lab.homelab.deploy)/services/\(lab.app)/.env.example",
            atomically: true,
            encoding: .utf8
        )
        try "services:\n  app: [broken\n".write(
            toFile: "\(lab.homelab.deploy)/services/\(lab.web)/compose.yml",
            atomically: true,
            encoding: .utf8
        )
        let broken = try lab.run("validate")
        #expect(broken.status == 1)
        #expect(
            broken.output.contains("\(lab.app): no .env: run `reconciler secrets init \(lab.app)`"),
            "\(broken.output)"
        )
        #expect(broken.output.contains(lab.web))
        #expect(!broken.output.contains("error: \(lab.db)"), "only the broken units are errors")
    }
}
