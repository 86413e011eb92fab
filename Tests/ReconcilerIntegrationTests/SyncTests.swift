import Foundation
import ReconcilerTesting
import Testing

/// `reconciler sync` end to end: real git, real Docker, real SQLite, the stand-in system switch.
@Suite(.serialized)
struct SyncTests {
    @Test func firstSyncDeploysEveryUnitInDependencyOrder() throws {
        let lab = try Lab()
        defer { lab.tearDown() }

        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        for project in lab.projects {
            #expect(try Containers.running(project).count == 1, "\(project) should run")
        }
        #expect(lab.homelab.switchCalls().count == 1)

        let applied = try lastDeploymentSteps(lab.homelab).filter { $0.phase == "apply" }.map(\.unit)
        #expect(applied.first == "system")
        let order = applied.filter { lab.projects.contains($0) }
        #expect(order == [lab.db, lab.app, lab.web], "dependency order: \(applied)")

        let status = try lab.run("status", "--json")
        #expect(status.status == 0, "\(status.output)")
        let json = try decodeJSON(status.stdout)
        #expect(json["state"] as? String == "ok")
        let units = (json["units"] as? [[String: Any]]) ?? []
        #expect(units.filter { $0["state"] as? String == "running" }.count == 4)

        let again = try lab.run("sync")
        #expect(again.status == 0)
        #expect(again.stdout.contains("up to date"), "\(again.output)")
    }

    @Test func failedFirstDeployRollsBackToTheClonesOwnCommit() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "broken", healthy: false)],
            message: "web broken"
        )
        // The deploy clone was made before that commit: its own HEAD is the earlier, good commit.
        let sync = try lab.run("sync")
        #expect(sync.status == 2, "\(sync.output)")
        #expect(try Containers.version(lab.web) == "1", "rolled back to the commit the clone had checked out")
        let history = try decodeJSONArray(try lab.run("history", "--json").stdout)
        #expect(history.first?["result"] as? String == "rolledBack")

        let again = try lab.run("sync")
        #expect(again.status == 0)
        #expect(again.stdout.contains("not retried"))
        try lab.homelab.commit(["services/\(lab.web)/compose.yml": Homelab.service(version: "2")], message: "web fixed")
        let fixed = try lab.run("sync")
        #expect(fixed.status == 0, "\(fixed.output)")
        #expect(try Containers.version(lab.web) == "2")
    }

    @Test func unreachableRemoteExitsOneNamingItAndChangesNothing() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        try FileManager.default.moveItem(atPath: lab.homelab.remote, toPath: lab.homelab.remote + ".gone")
        let sync = try lab.run("sync")
        #expect(sync.status == 1, "\(sync.output)")
        #expect(sync.output.contains("origin"), "\(sync.output)")
        #expect(try lab.projects.map { try Containers.running($0).count } == [1, 1, 1])
    }

    @Test func changeToOneServiceRecreatesOnlyIt() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let dbBefore = try Containers.running(lab.db)
        let webBefore = try Containers.running(lab.web)
        let appBefore = try Containers.running(lab.app)

        try lab.homelab.commit(["services/\(lab.app)/compose.yml": Homelab.service(version: "2")], message: "app v2")
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")

        #expect(try Containers.running(lab.db) == dbBefore)
        #expect(try Containers.running(lab.web) == webBefore)
        #expect(try Containers.running(lab.app) != appBefore)
        #expect(try Containers.version(lab.app) == "2")
        #expect(lab.homelab.switchCalls().count == 1, "no system change, no switch")
    }

    @Test func nixosChangeRunsTheSwitchOnceAndRecreatesNoContainer() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let before = try lab.projects.map { try Containers.running($0) }

        try lab.homelab.commit(
            ["nixos/configuration.nix": "{ ... }: { networking.hostName = \"homelab\"; time.timeZone = \"UTC\"; }\n"],
            message: "timezone"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(lab.homelab.switchCalls().count == 2)
        #expect(lab.homelab.switchCalls().last?.contains("timeZone") == true)
        #expect(try lab.projects.map { try Containers.running($0) } == before)
    }

    @Test func docsChangeDeploysNothingButMovesTheDeployedCommit() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let before = try lab.projects.map { try Containers.running($0) }
        let sha = try lab.homelab.commit(["docs/README.md": "more docs\n"], message: "docs")
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try lab.projects.map { try Containers.running($0) } == before)
        let status = try decodeJSON(try lab.run("status", "--json").stdout)
        #expect((status["deployed"] as? [String: Any])?["commit"] as? String == sha)
    }

    @Test func invalidComposeFileChangesNothingAndIsNotRetried() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let before = try lab.projects.map { try Containers.running($0) }
        let deployedBefore = try lab.homelab.git(["rev-parse", "HEAD"], in: lab.homelab.deploy)

        try lab.homelab.commit(
            ["services/\(lab.app)/compose.yml": "services:\n  app: [this is: not valid\n"],
            message: "broken yaml"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 1, "validation failures exit 1: \(sync.output)")
        #expect(sync.output.contains(lab.app), "\(sync.output)")
        #expect(try lab.projects.map { try Containers.running($0) } == before)
        #expect(
            try lab.homelab.git(["rev-parse", "HEAD"], in: lab.homelab.deploy) == deployedBefore,
            "work tree untouched"
        )

        let retry = try lab.run("sync")
        #expect(retry.status == 0)
        #expect(retry.stdout.contains("not retried"), "\(retry.output)")
        #expect(try lab.projects.map { try Containers.running($0) } == before)

        try lab.homelab.commit(["services/\(lab.app)/compose.yml": Homelab.service(version: "3")], message: "fix yaml")
        let fixed = try lab.run("sync")
        #expect(fixed.status == 0, "\(fixed.output)")
        #expect(try Containers.version(lab.app) == "3")
    }

    @Test func failingHealthcheckRollsBackToThePreviousContainers() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)

        let bad = try lab.homelab.commit(
            ["services/\(lab.web)/compose.yml": Homelab.service(version: "2", healthy: false)],
            message: "web v2 broken"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 2, "\(sync.output)")
        #expect(try Containers.version(lab.web) == "1", "the previous container is back")
        #expect(try Containers.running(lab.web).count == 1)

        let steps = try lastDeploymentSteps(lab.homelab)
        #expect(steps.contains { $0.phase == "apply" && $0.unit == lab.web && $0.result == "failed" })
        #expect(steps.contains { $0.phase == "rollback" && $0.unit == lab.web && $0.result == "succeeded" })

        let status = try lab.run("status", "--json")
        #expect(status.status == 2)
        let json = try decodeJSON(status.stdout)
        #expect((json["failedCommit"] as? [String: Any])?["commit"] as? String == bad)

        let retry = try lab.run("sync")
        #expect(retry.status == 0)
        #expect(retry.stdout.contains("not retried"))
    }

    @Test func failingSystemSwitchRollsBack() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let deployed = try lab.homelab.git(["rev-parse", "HEAD"], in: lab.homelab.deploy)
        let appBefore = try Containers.running(lab.app)

        try lab.homelab.commit(
            [
                "nixos/configuration.nix": "{ ... }: { FAIL = true; }\n",
                "services/\(lab.app)/compose.yml": Homelab.service(version: "2"),
            ],
            message: "bad system"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 2, "\(sync.output)")
        let calls = lab.homelab.switchCalls()
        #expect(calls.count == 3, "first deploy, failed switch, rollback switch: \(calls)")
        #expect(calls.last?.contains("FAIL") == false, "the rollback switched to the old configuration")
        #expect(try Containers.version(lab.app) == "1", "the app change was never applied")
        #expect(try Containers.running(lab.app) == appBefore, "the app's container was never recreated")
        let steps = try lastDeploymentSteps(lab.homelab)
        #expect(
            steps.filter { $0.unit == lab.app && $0.phase != "validate" }.isEmpty,
            "no apply or rollback step touched the app: \(steps.map { "\($0.phase) \($0.unit) \($0.action)" })"
        )
        #expect(try lab.homelab.git(["rev-parse", "HEAD"], in: lab.homelab.deploy) == deployed)
    }

    @Test func failingSystemCheckStopsTheDeployBeforeAnythingChanges() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        let checkScript = lab.homelab.dir.appending("check.sh")
        try
            "#!/bin/sh\n! grep -q BADCHECK nixos/configuration.nix || { echo 'dry-build: error in configuration.nix' >&2; exit 1; }\n"
            .write(toFile: checkScript, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: checkScript)
        try lab.homelab.commit(
            [
                "reconciler.json": lab.homelab.config(
                    units: [lab.app: [lab.db], lab.web: [lab.app]],
                    systemCheck: [checkScript]
                )
            ],
            message: "add a system check"
        )
        #expect(try lab.run("sync").status == 0)
        let calls = lab.homelab.switchCalls().count

        try lab.homelab.commit(
            [
                "nixos/configuration.nix": "{ ... }: { BADCHECK = 1; }\n",
                "services/\(lab.app)/compose.yml": Homelab.service(version: "2"),
            ],
            message: "bad system config"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 1, "\(sync.output)")
        #expect(sync.output.contains("system.check"), "\(sync.output)")
        #expect(lab.homelab.switchCalls().count == calls, "the switch never ran")
        #expect(try Containers.version(lab.app) == "1")
    }

    @Test func newServiceThatFailsIsRemovedOnRollback() throws {
        let lab = try Lab()
        defer { lab.tearDown(extraProjects: ["new\(lab.homelab.tag)"]) }
        #expect(try lab.run("sync").status == 0)
        let new = "new\(lab.homelab.tag)"
        try lab.homelab.commit(
            ["services/\(new)/compose.yml": Homelab.service(version: "1", healthy: false)],
            message: "add new"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 2, "\(sync.output)")
        #expect(try DockerRig.composeProjectIDs(project: new).isEmpty, "the new service's containers are removed")
        let steps = try lastDeploymentSteps(lab.homelab)
        #expect(
            steps.contains {
                $0.phase == "rollback" && $0.unit == new && $0.action == "down" && $0.result == "succeeded"
            }
        )
    }

    @Test func deletedServiceDirectoryIsPruned() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        try lab.homelab.commit(
            [
                "services/\(lab.web)/compose.yml": nil,
                "reconciler.json": lab.homelab.config(units: [lab.app: [lab.db]]),
            ],
            message: "remove web"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try DockerRig.composeProjectIDs(project: lab.web).isEmpty)
        #expect(try Containers.running(lab.app).count == 1)
    }

    @Test func instancesWithTheSameNameUnderDifferentServicesDoNotCollide() throws {
        let tag = String(UUID().uuidString.lowercased().filter(\.isLetter).prefix(5))
        let sonarr = "sonarr\(tag)"
        let radarr = "radarr\(tag)"
        let lab = try Lab(extraFiles: [
            "services/\(sonarr)/anime/compose.yml": Homelab.service(version: "s1"),
            "services/\(radarr)/anime/compose.yml": Homelab.service(version: "r1"),
        ])
        defer { lab.tearDown(extraProjects: ["\(sonarr)-anime", "\(radarr)-anime"]) }
        let first = try lab.run("sync")
        #expect(first.status == 0, "\(first.output)")
        #expect(try Containers.version("\(sonarr)-anime") == "s1")
        #expect(try Containers.version("\(radarr)-anime") == "r1")

        try lab.homelab.commit(
            ["services/\(radarr)/anime/compose.yml": Homelab.service(version: "r2")],
            message: "radarr anime r2"
        )
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try Containers.version("\(sonarr)-anime") == "s1", "--remove-orphans of one instance spared the other")
        #expect(try Containers.version("\(radarr)-anime") == "r2")
    }
}
