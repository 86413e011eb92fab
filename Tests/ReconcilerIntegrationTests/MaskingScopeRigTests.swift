import Foundation
import ReconcilerTesting
import Testing

/// Masking hides secrets and nothing else, on the built binary and the rig's engine: `.env` values equal to unit
/// ids (as `DB_USERNAME=immich` is in an Immich stack) leave every unit id whole in what the reconciler writes
/// itself, while a real secret is still masked in Compose's own error text, the history, the output and the log.
struct MaskingScopeRigTests {
    @Test func unitIdsStayWholeWhileSecretsStayMasked() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        let lab = d.lab
        let deploy = lab.homelab.deploy
        let secret = "scopeSecret\(lab.homelab.tag)Port"
        // Values that are other units' ids, and one real secret. The example publishes a placeholder for DB_USER.
        try GitFixture.write(
            "DB_USERNAME=\(lab.app)\nDB_NAME=\(lab.db)\nDB_USER=\(lab.web)\nWEB_PORT=\(secret)\n",
            to: "services/\(lab.web)/.env",
            in: deploy
        )
        try GitFixture.write("DB_USER=\(lab.app)\n", to: "services/\(lab.db)/.env", in: deploy)
        let ids = [lab.db, lab.app, lab.web]

        func expectWhole(_ name: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
            for id in ids {
                #expect(text.contains(id), "\(name) lost the unit \(id): \(text)", sourceLocation: sourceLocation)
            }
            #expect(!text.contains(secret), "\(name) carries the secret: \(text)", sourceLocation: sourceLocation)
        }

        // The plan of the first deploy, before anything runs.
        let plan = try lab.run("plan", "--json")
        #expect(plan.status == 0, "\(plan.output)")
        expectWhole("plan --json", plan.stdout)
        let planned = try decodeJSON(plan.stdout)["units"] as? [String] ?? []
        #expect(Set(planned) == Set(ids), "\(plan.stdout)")

        // The daemon deploys it; /status and the page name every unit.
        let daemon = try DaemonProcess(homelab: lab.homelab, arguments: ["--poll-interval", "1s"])
        defer { daemon.stop() }
        let head = try lab.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == head } != nil, "\(daemon.log)")
        let status = try daemon.get("/status").text
        expectWhole("/status", status)
        let units = (try decodeJSON(status)["units"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(Set(ids).isSubset(of: Set(units)), "\(status)")
        expectWhole("/", try daemon.get("/").text)
        daemon.stop()

        let table = try lab.run("status")
        expectWhole("status", table.stdout)
        for id in ids { #expect(table.stdout.contains("\n\(id) "), "a row for \(id): \(table.stdout)") }
        let json = try lab.run("status", "--json")
        expectWhole("status --json", json.stdout)
        let jsonUnits = (try decodeJSON(json.stdout)["units"] as? [[String: Any]] ?? []).compactMap {
            $0["id"] as? String
        }
        #expect(Set(ids).isSubset(of: Set(jsonUnits)), "\(json.stdout)")
        expectWhole("history --json", try lab.run("history", "--json").stdout)

        // Compose echoes the secret in its own error (`invalid containerPort: <value>`).
        let broken = """
            services:
              app:
                image: \(DockerRig.testImage)
                ports: ["${WEB_PORT}"]

            """
        let composeFile = "services/\(lab.web)/compose.yml"
        let deployed = try String(contentsOfFile: "\(deploy)/\(composeFile)", encoding: .utf8)
        try GitFixture.write(broken, to: composeFile, in: deploy)
        let validate = try lab.run("validate")
        #expect(validate.status != 0, "\(validate.output)")
        #expect(validate.stderr.contains("error: \(lab.web): "), "the failing unit is named: \(validate.output)")
        #expect(validate.stderr.contains("***"), "Compose's text is masked: \(validate.output)")
        #expect(!validate.output.contains(secret), "\(validate.output)")
        try GitFixture.write(deployed, to: composeFile, in: deploy)

        try lab.homelab.commit([composeFile: broken], message: "web port from .env")
        let sync = try lab.run("sync")
        #expect(sync.status != 0, "\(sync.output)")
        #expect(sync.output.contains("***"), "\(sync.output)")
        #expect(!sync.output.contains(secret), "the output and the log carry the secret: \(sync.output)")
        let history = try lab.run("history", "--json")
        expectWhole("history --json after the failure", history.stdout)
        #expect(history.stdout.contains("***"), "\(history.stdout)")
        expectWhole("status after the failure", try lab.run("status").stdout)
    }
}

/// A notification's `command`, `tokenFile` and `urlFile` are the host's to set: the built binary refuses a commit
/// that sets one, naming it, and takes them from the host file.
struct NotifyHostOnlyRigTests {
    @Test func aCommitSettingANotifyCommandIsRefusedAndTheHostFileMaySetIt() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        let entry = #"{"kind": "command", "command": ["/bin/sh", "-c", "id"]}"#
        try Data(#"{"notify": [\#(entry)]}"#.utf8).write(
            to: URL(fileURLWithPath: lab.homelab.dir.appending("host-config.json"))
        )
        let allowed = try lab.run("validate")
        #expect(allowed.status == 0, "the host file may set it: \(allowed.output)")

        try FileManager.default.removeItem(atPath: lab.homelab.dir.appending("host-config.json"))
        let config = lab.homelab.config(
            units: [lab.app: [lab.db], lab.web: [lab.app]],
            extra: #""notify": [\#(entry)]"#
        )
        try lab.homelab.commit(["reconciler.json": config], message: "notify through a command")
        let sync = try lab.run("sync")
        #expect(sync.status == 1, "\(sync.output)")
        #expect(
            sync.stderr.contains("notify[0].command: may only be set in the host's configuration file"),
            "\(sync.output)"
        )
        #expect(try lab.deployedCommit() == nil, "nothing of that commit was deployed")
    }
}
