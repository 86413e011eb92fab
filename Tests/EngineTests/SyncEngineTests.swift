import Foundation
import Git
import ReconcilerCore
import ReconcilerTesting
import Testing

/// `sync` through the fake driver: plan, waves, health gate, automatic rollback, failed commits, degraded.
@Suite struct SyncEngineTests {
    @Test func firstSyncAppliesTheSystemThenEveryUnitInDependencyOrder() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        #expect(lab.driver.actions == ["switch system", "up db", "up app", "up web"])
        #expect(try lab.deployed() == lab.fixture.remoteHead())
        #expect(try lab.last().result == .succeeded)
        #expect(try lab.last().trigger == .sync)
        #expect(lab.driver.runningUnits == ["db", "app", "web"])
        let head = try lab.fixture.remoteHead()
        #expect(try await lab.sync() == .nothingToDo("up to date at \(head.prefix(12)) initial homelab"))
        // Every process of the deployment carries its marker, so a crash's leftovers can be found.
        let markers = Set(lab.driver.calls.filter { $0.operation == .up }.map(\.marker))
        #expect(markers == ["\(try lab.store().path)#1"])
    }

    @Test func aChangeToOneServiceAppliesOnlyIt() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        try lab.commit(["services/app/compose.yml": EngineLab.service("2")])
        #expect(try await lab.sync() == .succeeded)
        #expect(lab.driver.actions == ["up app"])
        #expect(lab.driver.runningFile("app")?.contains("\"2\"") == true)
        #expect(try lab.steps(.validate) == ["config app"])
    }

    @Test func aDocsChangeActsOnNothingButMovesTheDeployedCommit() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        let sha = try lab.commit(["docs/README.md": "more\n"])
        #expect(try await lab.sync() == .succeeded)
        #expect(lab.driver.actions == [])
        #expect(try lab.deployed() == sha)
        #expect(try lab.checkedOut() == sha)
        #expect(try lab.last().message == "no unit affected")
    }

    @Test func failureInWaveOneRollsBackOnlyWhatWasAttempted() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        let good = try lab.fixture.remoteHead()
        lab.driver.resetCalls()
        let bad = try lab.commit([
            "services/db/compose.yml": EngineLab.service("2"),
            "services/app/compose.yml": EngineLab.service("2"),
            "services/web/compose.yml": EngineLab.service("2"),
        ])
        lab.driver.fail(.up, "db", times: 1)
        let outcome = try await lab.sync()
        guard case .rolledBack(let why) = outcome else {
            Issue.record("expected a rollback, got \(outcome)")
            return
        }
        #expect(outcome.exitCode == .deployFailed)
        #expect(why.contains("db up failed"))
        #expect(lab.driver.actions == ["up db", "up db"])
        #expect(try lab.steps(.apply) == ["up db"])
        #expect(try lab.steps(.rollback) == ["up db"])
        #expect(lab.driver.runningFile("db")?.contains("\"1\"") == true)
        #expect(lab.driver.runningFile("web")?.contains("\"1\"") == true)
        #expect(try lab.deployed() == good)
        #expect(try lab.checkedOut() == good)
        #expect(try lab.last().result == .rolledBack)
        #expect(try lab.store().failure(of: ObjectID(hex: bad)) != nil)
    }

    @Test func failureInWaveThreeRollsBackTheUnitsThatSucceededToo() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        try lab.commit([
            "services/db/compose.yml": EngineLab.service("2"),
            "services/app/compose.yml": EngineLab.service("2"),
            "services/web/compose.yml": EngineLab.service("2"),
        ])
        lab.driver.unhealthy("web", when: "\"2\"")
        let outcome = try await lab.sync()
        guard case .rolledBack(let why) = outcome else {
            Issue.record("expected a rollback, got \(outcome)")
            return
        }
        #expect(why.contains("web up failed: container web-app-1 is unhealthy"))
        #expect(try lab.steps(.apply) == ["up db", "up app", "up web"])
        #expect(try lab.steps(.rollback) == ["up db", "up app", "up web"])
        for unit in ["db", "app", "web"] {
            #expect(lab.driver.runningFile(unit)?.contains("\"1\"") == true, "\(unit) back at version 1")
        }
        let units = Dictionary(uniqueKeysWithValues: try lab.store().units().map { ($0.id, $0) })
        let good = try lab.deployed()
        #expect(units["web"]?.state == .running, "the rollback brought web back")
        #expect(units["web"]?.commit?.hex == good)
        #expect(units["app"]?.commit?.hex == good)
    }

    @Test func failureInTheSystemSwitchRollsTheSystemBackAndTouchesNoService() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        try lab.commit(["nixos/configuration.nix": "{ broken }\n", "services/app/compose.yml": EngineLab.service("2")])
        lab.driver.fail(.switch, UnitID.system, times: 1)
        let outcome = try await lab.sync()
        guard case .rolledBack(let why) = outcome else {
            Issue.record("expected a rollback, got \(outcome)")
            return
        }
        #expect(why.contains("system switch failed"))
        #expect(lab.driver.actions == ["switch system", "switch system"])
        #expect(lab.driver.runningFile("app")?.contains("\"1\"") == true)
    }

    @Test func aRollbackThatFailsIsDegradedAndStopsDeploysUntilResume() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        try lab.commit(["services/web/compose.yml": EngineLab.service("2")])
        lab.driver.fail(.up, "web")
        let outcome = try await lab.sync()
        guard case .degraded(let why) = outcome else {
            Issue.record("expected degraded, got \(outcome)")
            return
        }
        #expect(outcome.exitCode == .degraded)
        #expect(why.contains("failed too"))
        #expect(try lab.last().result == .degraded)
        #expect(try lab.store().degraded() != nil)
        #expect(try await lab.reconciler().status().state == .degraded)

        let error = await #expect(throws: ReconcilerError.self) { try await lab.sync() }
        #expect(error?.exitCode == .degraded)
        let deploy = await #expect(throws: ReconcilerError.self) {
            try await lab.reconciler().deploy(.units(["db"]))
        }
        #expect(deploy?.exitCode == .degraded, "deploy exits 3 while degraded")

        lab.driver.succeed(.up, "web")
        let released = try lab.reconciler().resume()
        #expect(released.count == 1 && released[0].hasPrefix("degraded state"))
        #expect(try await lab.sync() == .succeeded, "resume forgets the failure: the commit is retried")
        #expect(lab.driver.runningFile("web")?.contains("\"2\"") == true)
    }

    @Test func aFailedCommitIsNotRetriedUntilTheRemoteMoves() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        try lab.commit(["services/web/compose.yml": EngineLab.service("2")])
        lab.driver.unhealthy("web", when: "\"2\"")
        guard case .rolledBack = try await lab.sync() else {
            Issue.record("expected a rollback")
            return
        }
        lab.driver.healthy("web")
        lab.driver.resetCalls()
        let again = try await lab.sync()
        guard case .nothingToDo(let why) = again else {
            Issue.record("expected nothing to do, got \(again)")
            return
        }
        #expect(why.contains("not retried"))
        #expect(lab.driver.actions == [])
        let fix = try lab.commit(["services/web/compose.yml": EngineLab.service("3")])
        #expect(try await lab.sync() == .succeeded)
        #expect(lab.driver.actions == ["up web"])
        #expect(try lab.deployed() == fix)
    }

    @Test func aFailedFirstDeployWithNothingToGoBackToExitsTwoAndLeavesNothingDeployed() async throws {
        let lab = try EngineLab()
        lab.driver.fail(.up, "app")
        let outcome = try await lab.sync()
        guard case .failed(let why) = outcome else {
            Issue.record("expected failed, got \(outcome)")
            return
        }
        #expect(outcome.exitCode == .deployFailed)
        #expect(why.contains("app up failed"))
        #expect(try lab.deployed() == nil)
        #expect(try lab.last().result == .failed)
        #expect(try lab.last().message?.contains("no earlier deployed commit") == true)
        #expect(lab.driver.actions == ["switch system", "up db", "up app"])
    }

    @Test func aFailedFirstDeployRollsBackToTheClonesOwnCommit() async throws {
        let lab = try EngineLab()
        let own = try lab.checkedOut()
        try lab.commit(["services/web/compose.yml": EngineLab.service("2")])
        lab.driver.unhealthy("web", when: "\"2\"")
        guard case .rolledBack = try await lab.sync() else {
            Issue.record("expected a rollback")
            return
        }
        #expect(try lab.deployed() == own)
        #expect(try lab.steps(.rollback) == ["switch system", "up db", "up app", "up web"])
        #expect(lab.driver.runningFile("web")?.contains("\"1\"") == true)
    }

    @Test func anInvalidComposeFileChangesNothingAndExitsOne() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        let bad = try lab.commit(["services/app/compose.yml": "services: [\n"])
        lab.driver.fail(.validate, "app", output: "yaml: line 1: did not find expected node content")
        let outcome = try await lab.sync()
        guard case .invalid(let why) = outcome else {
            Issue.record("expected invalid, got \(outcome)")
            return
        }
        #expect(outcome.exitCode == .configuration)
        #expect(why.contains("did not find expected node content"))
        #expect(lab.driver.actions == [])
        #expect(try lab.checkedOut() != bad)
        #expect(try lab.store().failure(of: ObjectID(hex: bad))?.reason == "validation failed")
    }

    @Test func aFailingSystemCheckChangesNothing() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        try lab.commit(["nixos/configuration.nix": "{ x }\n"])
        lab.driver.fail(.check, UnitID.system)
        guard case .invalid = try await lab.sync() else {
            Issue.record("expected invalid")
            return
        }
        #expect(lab.driver.calls(.check) == [UnitID.system])
        #expect(lab.driver.actions == [])
    }

    @Test func aRemovedUnitIsPrunedWithTheFilesItRanWith() async throws {
        let lab = try EngineLab(files: ["reconciler.json": EngineLab.config(units: ["app": ["db"]])])
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        try lab.commit(["services/web/compose.yml": nil])
        #expect(try await lab.sync() == .succeeded)
        #expect(lab.driver.actions == ["down web"])
        let down = try #require(lab.driver.calls.first { $0.operation == .down })
        #expect(down.directory?.hasPrefix(lab.fixture.clone) == false, "taken down from a copy of the old files")
        #expect(try lab.store().units().map(\.id).contains("web") == false)
        #expect(!lab.driver.runningUnits.contains("web"))
    }

    @Test func aRollbackBringsPrunedUnitsBackAndTakesNewOnesDown() async throws {
        let lab = try EngineLab(files: ["reconciler.json": EngineLab.config(units: ["app": ["db"]])])
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        try lab.commit([
            "services/web/compose.yml": nil,
            "services/extra/compose.yml": EngineLab.service("1"),
            "services/app/compose.yml": EngineLab.service("2"),
        ])
        lab.driver.unhealthy("app", when: "\"2\"")
        guard case .rolledBack = try await lab.sync() else {
            Issue.record("expected a rollback")
            return
        }
        #expect(try lab.steps(.apply).first == "down web")
        #expect(Set(try lab.steps(.apply)) == ["down web", "up app", "up extra"])
        #expect(Set(try lab.steps(.rollback)) == ["down extra", "up app", "up web"])
        #expect(lab.driver.runningUnits == ["db", "app", "web"])
        #expect(lab.driver.runningFile("web")?.contains("\"1\"") == true)
    }

    @Test func aStoppedDependencyOfAChangedUnitIsBroughtUpFirst() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.setStopped("db")
        lab.driver.resetCalls()
        try lab.commit(["services/app/compose.yml": EngineLab.service("2")])
        #expect(try await lab.sync() == .succeeded)
        #expect(lab.driver.actions == ["up db", "up app"])
        let plan = try lab.last().plan
        #expect(plan.contains("\"reason\" : \"dependency\""))
    }

    @Test func noSecretValueReachesTheStateDatabase() async throws {
        let lab = try EngineLab(files: ["services/app/.env.example": "API_KEY=\nDB_PASSWORD=\n"])
        try GitFixture.write("API_KEY=s3cr3t-api-key-value\n", to: "services/app/.env", in: lab.fixture.clone)
        guard case .invalid(let why) = try await lab.sync() else {
            Issue.record("expected invalid: .env lacks DB_PASSWORD")
            return
        }
        #expect(why.contains("DB_PASSWORD"))
        try GitFixture.write(
            "API_KEY=s3cr3t-api-key-value\nDB_PASSWORD=s3cr3t-password\n",
            to: "services/app/.env",
            in: lab.fixture.clone
        )
        _ = try lab.reconciler().resume()
        #expect(try await lab.sync() == .succeeded)
        // Every file under the state directory, scratch copies included (a run leaves none behind).
        let directory = try regularFiles(under: lab.stateDir)
        for file in directory {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(lab.stateDir)/\(file)"))
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains("s3cr3t"), "\(file) holds a secret value")
        }
    }
}
