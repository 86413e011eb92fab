import Foundation
import ReconcilerTesting
import Testing

/// Git edge cases and state-store faults with the real binary, real git and the real engine: each ends
/// with the deployed commit, the state store and the containers telling the same truth, and nothing lost.
@Suite(.serialized)
struct EdgeCaseTests {
    @Test func aDeletedBranchChangesNothingAndTheBranchPushedAgainDeploys() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v1 = try lab.homelab.git(["rev-parse", "HEAD"])
        let web = try Containers.running(lab.web)
        try lab.homelab.git(["update-ref", "-d", "refs/heads/main"], in: lab.homelab.remote)

        let gone = try lab.run("sync")
        #expect(gone.status == 1, "\(gone.output)")
        #expect(gone.stderr.contains("branch 'main' does not exist on remote"), "names the branch: \(gone.output)")
        try expectUnchanged(lab, deployed: v1, web: web)

        let v2 = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )
        let back = try lab.run("sync")
        #expect(back.status == 0, "\(back.output)")
        #expect(try lab.deployedCommit() == v2)
        #expect(try Containers.version(lab.web) == "2")
    }

    @Test func anEmptyRemoteChangesNothingAndAnEmptyCloneDeploysNothing() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v1 = try lab.homelab.git(["rev-parse", "HEAD"])
        let web = try Containers.running(lab.web)
        // The remote is re-created empty (a repository moved, a server restored from nothing).
        try FileManager.default.removeItem(atPath: lab.homelab.remote)
        try Command.check(["git", "init", "--quiet", "--bare", "--initial-branch=main", lab.homelab.remote])

        let empty = try lab.run("sync")
        #expect(empty.status == 1, "\(empty.output)")
        #expect(empty.stderr.contains("branch 'main' does not exist on remote"), "\(empty.output)")
        #expect(empty.stderr.contains("branches there: none"), "says the remote is empty: \(empty.output)")
        try expectUnchanged(lab, deployed: v1, web: web)

        // A deploy clone made from an empty remote: nothing to deploy, nothing recorded.
        let fresh = try Homelab()
        defer { fresh.dir.remove() }
        try Command.check(["git", "clone", "--quiet", fresh.remote, fresh.deploy])
        let first = try ReconcilerBinary.run(["sync"], homelab: fresh)
        #expect(first.status == 1, "\(first.output)")
        #expect(first.stderr.contains("branch 'main' does not exist on remote"), "\(first.output)")
        let history = try ReconcilerBinary.run(["history", "--json"], homelab: fresh)
        #expect(try decodeJSONArray(history.stdout).isEmpty, "nothing recorded: \(history.output)")
    }

    @Test func aForcePushToAnOlderCommitIsRefusedUntilSyncAcceptRewrite() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v1 = try lab.homelab.git(["rev-parse", "HEAD"])
        let v2 = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )
        #expect(try lab.run("sync").status == 0)
        let web = try Containers.running(lab.web)
        try lab.homelab.git(["push", "--quiet", "--force", "origin", "\(v1):main"])

        let refused = try lab.run("sync")
        #expect(refused.status == 5, "\(refused.output)")
        let line = "remote history rewritten: deployed \(v2.prefix(12)), remote \(v1.prefix(12))"
        #expect(refused.stderr.contains(line), "\(refused.output)")
        #expect(refused.stderr.contains("--accept-rewrite"), "says how to accept it: \(refused.output)")
        let status = try lab.run("status")
        #expect(status.stdout.contains(line), "status shows it: \(status.output)")
        let again = try lab.run("sync")
        #expect(again.status == 5, "still refused on the next sync: \(again.output)")
        try expectUnchanged(lab, deployed: v2, web: web, refused: v1)

        let accepted = try lab.run("sync", "--accept-rewrite")
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(try lab.deployedCommit() == v1)
        #expect(try Containers.version(lab.web) == "1")
        #expect(try lab.run("status").status == 0, "the refusal is over")
    }

    @Test func anUnrelatedHistoryIsRefusedUntilTheHostFileAllowsRewrites() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v1 = try lab.homelab.git(["rev-parse", "HEAD"])
        let web = try Containers.running(lab.web)
        // A new history that shares no commit with the deployed one (the repository re-created and pushed).
        try lab.homelab.git(["checkout", "--quiet", "--orphan", "fresh"])
        try GitFixture.write(
            Homelab.service(version: "3"),
            to: "services/\(lab.web)/compose.yml",
            in: lab.homelab.author
        )
        try lab.homelab.git(["add", "-A"])
        try lab.homelab.git(["commit", "--quiet", "-m", "a new beginning"])
        let unrelated = try lab.homelab.git(["rev-parse", "HEAD"])
        try lab.homelab.git(["push", "--quiet", "--force", "origin", "fresh:main"])

        let refused = try lab.run("sync")
        #expect(refused.status == 5, "\(refused.output)")
        #expect(
            refused.stderr.contains(
                "remote history rewritten: deployed \(v1.prefix(12)), remote \(unrelated.prefix(12))"
            ),
            "\(refused.output)"
        )
        try expectUnchanged(lab, deployed: v1, web: web, refused: unrelated)

        try #"{ "allowRewrite": true }"#.write(
            toFile: lab.homelab.dir.appending("host-config.json"),
            atomically: true,
            encoding: .utf8
        )
        let allowed = try lab.run("sync")
        #expect(allowed.status == 0, "\(allowed.output)")
        #expect(try lab.deployedCommit() == unrelated)
        #expect(try Containers.version(lab.web) == "3")
    }

    /// A shallow clone cannot tell a force-push from a new commit, nor roll back past its boundary: it is refused
    /// at once with the command that fixes it, rather than working once and failing on a later sync.
    @Test func aShallowDeployCloneIsRefusedUntilItHasTheWholeHistory() throws {
        let lab = try Lab(cloned: false)
        defer { lab.tearDown() }
        try lab.homelab.commit(["docs/README.md": "more\n"], message: "docs")
        try Command.check([
            "git", "clone", "--quiet", "--depth", "1", "file://\(lab.homelab.remote)", lab.homelab.deploy,
        ])
        let head = try lab.homelab.git(["rev-parse", "HEAD"])

        let shallow = try lab.run("sync")
        #expect(shallow.status == 1, "\(shallow.output)")
        #expect(shallow.stderr.contains("is shallow"), "\(shallow.output)")
        #expect(
            shallow.stderr.contains("git -C \(lab.homelab.deploy) fetch --unshallow origin"),
            "names what to run: \(shallow.output)"
        )
        #expect(try Containers.running(lab.web).isEmpty, "nothing deployed")
        #expect(try decodeJSONArray(lab.run("history", "--json").stdout).isEmpty, "nothing recorded")
        #expect(try lab.status()["failedCommit"] == nil, "the commit is not marked failed")

        try lab.homelab.git(["fetch", "--quiet", "--unshallow", "origin"], in: lab.homelab.deploy)
        let whole = try lab.run("sync")
        #expect(whole.status == 0, "\(whole.output)")
        #expect(try lab.deployedCommit() == head)
        #expect(try Containers.version(lab.web) == "1")
    }

    @Test func aDamagedObjectIsNamedNothingIsTouchedAndTheCommitIsNotMarkedFailed() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v1 = try lab.homelab.git(["rev-parse", "HEAD"])
        let web = try Containers.running(lab.web)
        let v2 = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )
        // git's own fetch of a few objects stores them loose; then the new Compose file's object is damaged.
        try lab.homelab.git(["fetch", "--quiet", "origin"], in: lab.homelab.deploy)
        let blob = try lab.homelab.git(["rev-parse", "\(v2):services/\(lab.web)/compose.yml"])
        let loose = "\(lab.homelab.deploy)/.git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))"
        try #require(FileManager.default.fileExists(atPath: loose), "git stored the object loose")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: loose)
        try "not a zlib stream\n".write(toFile: loose, atomically: false, encoding: .utf8)

        let damaged = try lab.run("sync")
        #expect(damaged.status == 1, "\(damaged.output)")
        #expect(damaged.stderr.contains("is damaged"), "\(damaged.output)")
        #expect(
            damaged.stderr.contains("services/\(lab.web)/compose.yml (object \(blob)"),
            "names it: \(damaged.output)"
        )
        #expect(damaged.stderr.contains(loose), "names the file: \(damaged.output)")
        #expect(damaged.stderr.contains("fetch --refetch origin"), "says what to do: \(damaged.output)")
        try expectUnchanged(lab, deployed: v1, web: web)
        #expect(try lab.deploymentCount() == 1, "nothing recorded")

        // The operator's fix, as the message says: move the file away and fetch the objects again.
        try FileManager.default.moveItem(atPath: loose, toPath: lab.homelab.dir.appending("damaged-object"))
        try lab.homelab.git(["fetch", "--quiet", "--refetch", "origin"], in: lab.homelab.deploy)
        let fixed = try lab.run("sync")
        #expect(fixed.status == 0, "deployed without resume: \(fixed.output)")
        #expect(try lab.deployedCommit() == v2)
        #expect(try Containers.version(lab.web) == "2")
    }

    @Test func aStateDatabaseThatCannotBeWrittenStopsTheDeployBeforeAnyStep() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v1 = try lab.homelab.git(["rev-parse", "HEAD"])
        let web = try Containers.running(lab.web)
        let v2 = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )
        let database = "\(lab.homelab.stateDir)/state.sqlite"
        let readOnly = try ReadOnlyFile(database)
        let refused = try lab.run("sync")
        readOnly.release()
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.stderr.contains("state database \(database): cannot write"), "says so: \(refused.output)")
        #expect(!refused.output.contains("→ \(lab.web)"), "no step started: \(refused.output)")
        try expectUnchanged(lab, deployed: v1, web: web)

        let writable = try lab.run("sync")
        #expect(writable.status == 0, "\(writable.output)")
        #expect(try lab.deployedCommit() == v2)
        #expect(try Containers.version(lab.web) == "2")
    }

    /// State first: a step whose outcome cannot be recorded stops the deploy, a rollback step that cannot be
    /// recorded is not run, and the next run recovers from the honest record (the step left `running`).
    @Test func aStateWriteThatFailsMidDeployStopsItAndTheNextRunRecovers() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let web = try Containers.running(lab.web)
        // The stand-in switch makes the state database read-only right after it switched, when it is told to.
        let database = "\(lab.homelab.stateDir)/state.sqlite"
        let trigger = lab.homelab.dir.appending("lock-the-state")
        let original = try String(contentsOfFile: lab.homelab.switchScript, encoding: .utf8)
        try
            (original + """

                if [ -e '\(trigger)' ]; then
                    rm '\(trigger)'
                    chattr +i '\(database)' 2>/dev/null || { mount --bind '\(database)' '\(database)' && mount -o remount,bind,ro '\(database)'; }
                fi

                """).write(toFile: lab.homelab.switchScript, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: lab.homelab.switchScript)
        let v2 = try lab.homelab.commit(
            [
                "nixos/configuration.nix": "{ ... }: { networking.hostName = \"homelab2\"; }\n",
                "services/\(lab.web)/compose.yml": Homelab.service(version: "2"),
            ],
            message: "system and web v2"
        )
        try "".write(toFile: trigger, atomically: true, encoding: .utf8)
        let stopped = try lab.run("sync")
        _ = try Command.run(["chattr", "-i", database])
        _ = try Command.run(["umount", database])
        #expect(stopped.status == 1, "\(stopped.output)")
        #expect(stopped.output.contains("cannot record the step's outcome in the state, so the deploy stops"))
        #expect(stopped.output.contains("cannot record the step, so it was not run"), "\(stopped.output)")
        #expect(try Containers.running(lab.web) == web, "web's step never ran")
        #expect(lab.homelab.switchCalls().count == 2, "v1, then v2's switch: \(lab.homelab.switchCalls())")

        let next = try lab.run("sync")
        #expect(next.status == 0, "\(next.output)")
        #expect(next.output.contains("was interrupted"), "recovered from the record: \(next.output)")
        let calls = lab.homelab.switchCalls()
        #expect(calls.count == 4, "recovery switched back to v1, then v2 was deployed: \(calls)")
        #expect(calls.last?.contains("homelab2") == true)
        #expect(try lab.deployedCommit() == v2)
        #expect(try Containers.version(lab.web) == "2")
        let results = try decodeJSONArray(lab.run("history", "--json").stdout).compactMap { $0["result"] as? String }
        #expect(!results.contains("running"), "no deployment left running: \(results)")
    }

    /// No deployment is left `running`: a checkout that fails after the deployment began finishes it as failed and
    /// marks the commit failed (no redeploy loop) until `resume`.
    @Test func aCheckoutThatFailsFinishesTheDeploymentAsFailedUntilResume() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v1 = try lab.homelab.git(["rev-parse", "HEAD"])
        let web = try Containers.running(lab.web)
        let v2 = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )
        let file = try ReadOnlyFile("\(lab.homelab.deploy)/services/\(lab.web)/compose.yml")
        let failed = try lab.run("sync")
        let again = try lab.run("sync")
        file.release()
        #expect(failed.status == 1, "\(failed.output)")
        #expect(failed.stderr.contains("services/\(lab.web)/compose.yml' for writing"), "names it: \(failed.output)")
        #expect(again.stdout.contains("is not retried"), "no redeploy loop: \(again.output)")
        try expectUnchanged(lab, deployed: v1, web: web, refused: v2)
        let results = try decodeJSONArray(lab.run("history", "--json").stdout).compactMap { $0["result"] as? String }
        #expect(results.first == "failed", "finished as failed, not running: \(results)")

        #expect(try lab.run("resume").status == 0)
        let retried = try lab.run("sync")
        #expect(retried.status == 0, "\(retried.output)")
        #expect(try lab.deployedCommit() == v2)
        #expect(try Containers.version(lab.web) == "2")
    }

    @Test(
        .enabled(
            if: StateDisk.canMountTmpfs,
            "mounting a small tmpfs is refused on this machine (it needs root with CAP_SYS_ADMIN): the full-disk case is skipped"
        )
    )
    func aFullStateDiskStopsTheDeployAndTheNextSyncDeploysOnceThereIsRoom() throws {
        let lab = try Lab()
        let disk = try StateDisk(lab.homelab.stateDir)
        defer {
            disk.unmount()
            lab.tearDown()
        }
        #expect(try lab.run("sync").status == 0)
        let v1 = try lab.homelab.git(["rev-parse", "HEAD"])
        let web = try Containers.running(lab.web)
        let v2 = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )
        try disk.fill()
        let full = try lab.run("sync")
        #expect(full.status == 1, "\(full.output)")
        #expect(full.stderr.contains("disk is full"), "says so: \(full.output)")
        #expect(!full.output.contains("→ \(lab.web)"), "no step started: \(full.output)")
        try expectUnchanged(lab, deployed: v1, web: web)

        disk.free()
        let room = try lab.run("sync")
        #expect(room.status == 0, "deployed without resume: \(room.output)")
        #expect(try lab.deployedCommit() == v2)
        #expect(try Containers.version(lab.web) == "2")
    }

    @Test func headMovedOffTheDeployedCommitByHandIsDrift() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v2 = try lab.homelab.commit(["docs/README.md": "more docs\n"], message: "docs")
        #expect(try lab.run("sync").status == 0)
        // A `git checkout` by hand: the work tree matches the commit checked out, no file is modified.
        try lab.homelab.git(["checkout", "--quiet", "--detach", "HEAD~1"], in: lab.homelab.deploy)
        try lab.homelab.commit(["services/\(lab.web)/compose.yml": Homelab.service(version: "3")], message: "web v3")

        let drift = try lab.run("sync")
        #expect(drift.status == 5, "\(drift.output)")
        #expect(drift.stderr.contains("moved off the deployed commit \(v2.prefix(12))"), "\(drift.output)")
        #expect(try Containers.version(lab.web) == "1")
        #expect(try lab.deployedCommit() == v2)

        try lab.homelab.git(["checkout", "--quiet", "--detach", v2], in: lab.homelab.deploy)
        let back = try lab.run("sync")
        #expect(back.status == 0, "\(back.output)")
        #expect(try Containers.version(lab.web) == "3")
    }

    /// `plan` and `sync --dry-run` ask Compose which units run with the Compose command in force, never one that
    /// the commits being planned set; and the plan's commit summary reaches the terminal escaped.
    @Test func planNeverRunsACommandTakenFromThePlansOwnCommits() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let marker = lab.homelab.dir.appending("compose-from-the-commit-ran")
        let script = lab.homelab.dir.appending("evil-compose.sh")
        try "#!/bin/sh\ntouch '\(marker)'\nexit 1\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let config = lab.homelab.config(units: [lab.app: [lab.db], lab.web: [lab.app]])
            .replacingOccurrences(of: #""services": {"#, with: #""services": { "compose": ["\#(script)"],"#)
        let evil = try lab.homelab.commit(["reconciler.json": config], message: "compose from the commit")
        // The next commit changes web alone: planning it asks whether web's dependencies run.
        let next = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "\u{1b}]0;pwned\u{07}web v2"
        )
        let dryRun = try lab.run("sync", "--dry-run")
        #expect(dryRun.status == 0, "\(dryRun.output)")
        let plan = try lab.run("plan", "--from", evil, "--to", next)
        #expect(plan.status == 0, "\(plan.output)")
        let json = try decodeJSON(lab.run("plan", "--json", "--from", evil, "--to", next).stdout)
        let units = (json["steps"] as? [[String: Any]] ?? []).compactMap { $0["unit"] as? String }
        #expect(units == [lab.web], "its dependencies run, asked with the host's Compose: \(json)")
        #expect(!FileManager.default.fileExists(atPath: marker), "no command of the planned commits ran")
        for output in [dryRun.output, plan.output] {
            #expect(!output.contains("\u{1b}"), "the summary's escape sequence is shown escaped: \(output)")
            #expect(output.contains("\\x1B]0;pwned"), "\(output)")
        }
    }

    /// Validation materialises the whole services root with the work tree's `*.env` files, so a unit that extends
    /// a file one level up and reads an ignored env file beside it validates and deploys.
    @Test func extendsAndEnvFileOneLevelUpValidateAndDeploy() throws {
        let shared = Homelab.service(version: "1")
        let lab = try Lab(extraFiles: ["services/base.yml": shared])
        defer { lab.tearDown() }
        let unit = """
            services:
              app:
                extends:
                  file: ../base.yml
                  service: app
                env_file: ../common.env

            """
        try lab.homelab.commit(["services/\(lab.web)/compose.yml": unit], message: "web extends the shared base")
        try lab.homelab.git(["pull", "--quiet", "--ff-only"], in: lab.homelab.deploy)
        // Ignored by the fixture's .gitignore (*.env): it lives in the work tree only, like a secret.
        try GitFixture.write("COMMON_SETTING=from-the-work-tree\n", to: "services/common.env", in: lab.homelab.deploy)

        let validate = try lab.run("validate")
        #expect(validate.status == 0, "\(validate.output)")
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try Containers.version(lab.web) == "1", "the base file's service runs")
        let id = try #require(try Containers.running(lab.web).first)
        let env = try Command.check(
            ["docker", "inspect", "--format", "{{json .Config.Env}}", id],
            environment: DockerRig.environment
        )
        #expect(env.contains("COMMON_SETTING=from-the-work-tree"), "the env file one level up was read: \(env)")
    }

    /// `reconciler logs` passes what the containers print through the masker: a value from `.env` never reaches
    /// the terminal.
    @Test func logsMaskTheValuesOfEnvFiles() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        let secret = "logSecret\(lab.homelab.tag)Value"
        try GitFixture.write("WEB_TOKEN=\(secret)\n", to: "services/\(lab.web)/.env", in: lab.homelab.deploy)
        let chatty = Homelab.service(version: "2")
            .replacingOccurrences(of: "echo started version 2;", with: "echo token=$$WEB_TOKEN;")
            .replacingOccurrences(of: "    network_mode: none", with: "    network_mode: none\n    env_file: .env")
        try lab.homelab.commit(["services/\(lab.web)/compose.yml": chatty], message: "web prints its token")
        #expect(try lab.run("sync").status == 0)
        let raw = try Command.check(
            ["docker", "logs", try #require(try Containers.running(lab.web).first)],
            environment: DockerRig.environment
        )
        try #require(raw.contains("token=\(secret)"), "the container does print it: \(raw)")

        let logs = try lab.run("logs", lab.web)
        #expect(logs.status == 0, "\(logs.output)")
        #expect(logs.stdout.contains("token=***"), "\(logs.output)")
        #expect(!logs.output.contains(secret), "\(logs.output)")
        let tail = try lab.run("logs", "--tail", "5", lab.web)
        #expect(tail.status == 0 && !tail.output.contains(secret), "\(tail.output)")
    }

    /// The daemon's `/status` and `/` answers and its notifications carry a failed deploy's message, masked.
    @Test func theDaemonNeverServesOrSendsAnEnvValue() throws {
        let receiver = try NotificationReceiver()
        defer { receiver.stop() }
        let d = try DaemonLab(
            extraConfig:
                #""notify": [{"kind": "webhook", "url": "http://127.0.0.1:\#(receiver.port)/hook", "events": ["succeeded", "failed", "rolledBack"]}]"#
        )
        defer { d.tearDown() }
        let secret = "daemonSecret\(d.homelab.tag)Port"
        try GitFixture.write("WEB_PORT=\(secret)\n", to: "services/\(d.lab.web)/.env", in: d.homelab.deploy)
        let daemon = try DaemonProcess(homelab: d.homelab, arguments: ["--poll-interval", "1s"])
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == first } != nil, "\(daemon.log)")
        // Compose echoes the value in its error: `invalid containerPort: <value>`.
        let broken = """
            services:
              app:
                image: \(DockerRig.testImage)
                ports: ["${WEB_PORT}"]

            """
        try d.homelab.commit(["services/\(d.lab.web)/compose.yml": broken], message: "web port from .env")
        #expect(receiver.waitForCount(2, timeout: 120), "the failure is notified: \(daemon.log)")
        let status = try daemon.get("/status").text
        let page = try daemon.get("/").text
        let sent = try receiver.bodies.map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self)
        }
        #expect(status.contains("not valid"), "the failure is in /status: \(status)")
        for (name, text) in [("/status", status), ("/", page), ("notifications", sent.joined(separator: "\n"))] {
            #expect(!text.contains(secret), "\(name) carries the secret: \(text)")
        }
        #expect(!daemon.log.contains(secret), "the daemon's log carries the secret")
    }
}

/// Which truth a test checks after a refusal: the deployed commit, the work tree's HEAD, the same containers, and
/// no commit marked failed but the one `refused` (a history rewrite is recorded against the head it refuses).
private func expectUnchanged(
    _ lab: Lab,
    deployed: String,
    web: [String],
    refused: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(
        try lab.deployedCommit() == deployed,
        "the state still says \(deployed.prefix(12))",
        sourceLocation: sourceLocation
    )
    #expect(
        try lab.homelab.git(["rev-parse", "HEAD"], in: lab.homelab.deploy) == deployed,
        "the work tree is still at it",
        sourceLocation: sourceLocation
    )
    #expect(try Containers.running(lab.web) == web, "the same containers run", sourceLocation: sourceLocation)
    let failed = (try lab.status()["failedCommit"] as? [String: Any])?["commit"] as? String
    #expect(failed == refused, "marked failed: \(failed ?? "none")", sourceLocation: sourceLocation)
}

extension Lab {
    func status() throws -> [String: Any] { try decodeJSON(run("status", "--json").stdout) }

    func deployedCommit() throws -> String? { (try status()["deployed"] as? [String: Any])?["commit"] as? String }

    func deploymentCount() throws -> Int { try decodeJSONArray(run("history", "--json").stdout).count }
}

/// A file made read-only for root too: `chattr +i`, or where the file system has no such flag, a read-only bind
/// mount of the file itself.
private final class ReadOnlyFile {
    let path: String
    private var mounted = false
    private var released = false

    init(_ path: String) throws {
        self.path = path
        if try Command.run(["chattr", "+i", path]).status == 0 { return }
        try Command.check(["mount", "--bind", path, path])
        mounted = true
        try Command.check(["mount", "-o", "remount,bind,ro", path])
    }

    func release() {
        guard !released else { return }
        released = true
        if mounted { _ = try? Command.run(["umount", path]) } else { _ = try? Command.run(["chattr", "-i", path]) }
    }

    deinit { release() }
}

/// A small tmpfs mounted on the state directory, to fill up.
private struct StateDisk {
    let directory: String
    var filler: String { "\(directory)/filler" }

    /// Whether this machine lets the tests mount a tmpfs (root with CAP_SYS_ADMIN).
    static let canMountTmpfs: Bool = {
        guard let probe = try? TemporaryDirectory(prefix: "tmpfs-probe") else { return false }
        defer { probe.remove() }
        guard (try? Command.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path]))?.status == 0 else {
            return false
        }
        _ = try? Command.run(["umount", probe.path])
        return true
    }()

    init(_ directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Command.check(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", directory])
    }

    /// Writes zeros until the file system is full.
    func fill() throws {
        let result = try Command.run(["dd", "if=/dev/zero", "of=\(filler)", "bs=4k"])
        #expect(result.stderr.contains("No space left"), "dd filled the disk: \(result.output)")
    }

    func free() { try? FileManager.default.removeItem(atPath: filler) }

    func unmount() { _ = try? Command.run(["umount", directory]) }
}
