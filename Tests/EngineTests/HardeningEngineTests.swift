import Foundation
import Git
import ReconcilerCore
import ReconcilerTesting
import Testing

/// Hardening wired into the engine: the host file over the commit's, commit preflight, history rewrites.
@Suite struct HardeningEngineTests {
    // MARK: Host configuration (item 6)

    @Test func aCommitSettingAHostOnlyKeyIsRefusedNamingTheKey() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        let bad = try lab.commit(["reconciler.json": EngineLab.config(extra: #""allowRewrite": true"#)])
        let outcome = try await lab.sync()
        guard case .invalid(let why) = outcome else {
            Issue.record("expected invalid, got \(outcome)")
            return
        }
        #expect(outcome.exitCode == .configuration)
        #expect(why.contains("allowRewrite"), "\(why)")
        #expect(lab.driver.actions == [])
        #expect(try lab.store().failure(of: ObjectID(hex: bad)) != nil, "not retried")
    }

    @Test func theHostFileOverridesTheCommitsConfigurationKeyByKey() async throws {
        let lab = try EngineLab()
        let host = lab.fixture.directory.appending("host.json")
        // The host's file moves the system root where the repository has nothing: the system unit is gone.
        try #"{ "system": { "root": "no-system-here" } }"#.write(toFile: host, atomically: true, encoding: .utf8)
        let reconciler = try lab.reconciler(hostConfigFile: host)
        #expect(try await reconciler.sync(dryRun: false) == .succeeded)
        #expect(!lab.driver.actions.contains("switch system"), "\(lab.driver.actions)")
        #expect(lab.driver.actions.contains("up web"), "the repository's units still come from the commit")
        let config = try reconciler.workTreeConfig()
        #expect(config.system.root == "no-system-here")
        #expect(config.units["web"] != nil, "the repository's keys the host does not set stay")
    }

    // MARK: Commit preflight (item 1)

    @Test func aCommitTrackingAnEnvFileIsRefusedBeforeAnythingIsWritten() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        try GitFixture.write("TOKEN=pushed-by-mistake\n", to: "services/app/.env", in: lab.fixture.author)
        try GitFixture.git(["add", "--force", "services/app/.env"], in: lab.fixture.author)
        let bad = try lab.commit(["services/app/compose.yml": EngineLab.service("2")])
        let outcome = try await lab.sync()
        guard case .invalid(let why) = outcome else {
            Issue.record("expected invalid, got \(outcome)")
            return
        }
        #expect(why.contains("services/app/.env"), "\(why)")
        #expect(lab.driver.calls.isEmpty, "not even validated: \(lab.driver.calls)")
        #expect(try lab.checkedOut() != bad)
        #expect(try lab.store().failure(of: ObjectID(hex: bad)) != nil)
        #expect(try lab.last().result == .failed)
    }

    @Test func aCommitThatWouldOverwriteAnIgnoredFileIsRefusedAndTheFileKept() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        lab.driver.resetCalls()
        // The operator keeps an ignored directory; the commit replaces it with a tracked file.
        try GitFixture.write("precious\n", to: "services/app/data/db.sqlite", in: lab.fixture.clone)
        try "services/app/data/\n".write(
            toFile: "\(lab.fixture.clone)/.git/info/exclude",
            atomically: true,
            encoding: .utf8
        )
        let bad = try lab.commit(["services/app/data": "now a file\n"])
        let outcome = try await lab.sync()
        guard case .invalid(let why) = outcome else {
            Issue.record("expected invalid, got \(outcome)")
            return
        }
        #expect(why.contains("services/app/data"), "\(why)")
        #expect(lab.driver.actions == [])
        #expect(try lab.checkedOut() != bad)
        let kept = try String(contentsOfFile: "\(lab.fixture.clone)/services/app/data/db.sqlite", encoding: .utf8)
        #expect(kept == "precious\n")
    }

    // MARK: History rewrites (item 2)

    @Test func aForcePushToAnOlderCommitIsRefusedUntilAccepted() async throws {
        let lab = try EngineLab()
        let first = try lab.fixture.remoteHead()
        let second = try lab.commit(["services/web/compose.yml": EngineLab.service("2")])
        #expect(try await lab.sync() == .succeeded)
        #expect(try lab.deployed() == second)
        try GitFixture.git(
            ["push", "--quiet", "--force", "origin", "\(first):refs/heads/\(lab.fixture.branch)"],
            in: lab.fixture.author
        )
        lab.driver.resetCalls()
        do {
            _ = try await lab.sync()
            Issue.record("expected a refusal")
        } catch let error as ReconcilerError {
            #expect(error.exitCode == .refused)
            #expect(
                error.message.contains("remote history rewritten: deployed \(ObjectID(hex: second).short)"),
                "\(error.message)"
            )
        }
        #expect(lab.driver.actions == [])
        #expect(try lab.deployed() == second)
        #expect(try lab.last().message?.contains("remote history rewritten") == true, "recorded for status")
        let records = try lab.store().deployments(limit: 10).count
        _ = try? await lab.sync()
        #expect(try lab.store().deployments(limit: 10).count == records, "refused again without a new line")

        let accepted = try await lab.reconciler().sync(dryRun: false, acceptRewrite: true)
        #expect(accepted == .succeeded)
        #expect(try lab.deployed() == first)
    }

    @Test func allowRewriteInTheHostFileAcceptsAnUnrelatedHistory() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        let author = lab.fixture.author
        try GitFixture.git(["checkout", "--quiet", "--orphan", "rewritten"], in: author)
        try GitFixture.git(["commit", "--quiet", "--message", "unrelated history"], in: author)
        try GitFixture.git(
            ["push", "--quiet", "--force", "origin", "HEAD:refs/heads/\(lab.fixture.branch)"],
            in: author
        )
        await #expect(throws: ReconcilerError.self) { try await lab.sync() }
        let host = lab.fixture.directory.appending("host.json")
        try #"{ "allowRewrite": true }"#.write(toFile: host, atomically: true, encoding: .utf8)
        #expect(try await lab.reconciler(hostConfigFile: host).sync(dryRun: false) == .succeeded)
    }

    // MARK: Masking (item 5)

    @Test func aSecretComposeEchoesInItsErrorNeverReachesTheStateFile() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        let secret = "wire-echoed-s3cr3t-\(UUID().uuidString)"
        SecretMasker.shared.add(secret)
        try lab.commit(["services/app/compose.yml": EngineLab.service("2")])
        lab.driver.fail(.validate, "app", output: "unterminated quoted value \"\(secret)")
        let outcome = try await lab.sync()
        guard case .invalid(let why) = outcome else {
            Issue.record("expected invalid, got \(outcome)")
            return
        }
        #expect(why.contains("unterminated quoted value"))
        let records = try lab.store().deployments(limit: 5)
        #expect(records.allSatisfy { ($0.message ?? "").contains(secret) == false })
        // Every file under the state directory, scratch copies included (a run leaves none behind).
        for file in try regularFiles(under: lab.stateDir) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(lab.stateDir)/\(file)"))
            #expect(!String(decoding: bytes, as: UTF8.self).contains(secret), "\(file) holds the secret")
        }
    }

    // MARK: An outage is not a bad commit (item 10)

    @Test func anUnreachableEngineStopsTheSyncWithoutMarkingTheCommitFailed() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        let next = try lab.commit(["services/web/compose.yml": EngineLab.service("2")])
        lab.driver.resetCalls()
        lab.driver.setOutage("Docker engine unreachable at unix:///nowhere/docker.sock: connection refused")
        let outcome = try await lab.sync()
        guard case .outage(let why) = outcome else {
            Issue.record("expected an outage, got \(outcome)")
            return
        }
        #expect(outcome.exitCode == .configuration)
        #expect(why.contains("Docker engine unreachable at unix:///nowhere/docker.sock"), "\(why)")
        #expect(lab.driver.actions == [], "no step ran")
        #expect(try lab.store().failure(of: ObjectID(hex: next)) == nil, "the commit is not marked failed")
        #expect(try lab.last().message?.contains("Docker engine unreachable") == true, "status shows the outage")

        lab.driver.setOutage(nil)
        #expect(try await lab.sync() == .succeeded, "the next sync deploys it, no resume")
        #expect(try lab.deployed() == next)
    }

    @Test func aContinuingOutageIsOneHistoryLineAndStatusShowsItUntilTheNextDeploy() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        let next = try lab.commit(["services/web/compose.yml": EngineLab.service("2")])
        let before = try lab.store().deployments(limit: 100).count
        lab.driver.setOutage("Docker engine unreachable at unix:///nowhere/docker.sock: connection refused")
        for _ in 0..<3 {
            guard case .outage = try await lab.sync() else {
                Issue.record("expected an outage")
                return
            }
        }
        let history = try lab.store().deployments(limit: 100)
        #expect(history.count == before + 1, "one line for the outage, not one per sync: \(history.map(\.result))")
        #expect(history.first?.result == .outage)
        let status = try await lab.reconciler().status()
        #expect(status.state == .outage)
        #expect(status.exitCode == .configuration)
        #expect(status.outage?.commit == next, "the commit waiting to deploy")
        #expect(status.outage?.reason.contains("Docker engine unreachable at unix:///nowhere/docker.sock") == true)
        #expect(status.failedCommit == nil)

        lab.driver.setOutage(nil)
        #expect(try await lab.sync() == .succeeded)
        let after = try await lab.reconciler().status()
        #expect(after.state == .ok, "the outage is gone from status")
        #expect(after.outage == nil)
        #expect(try lab.store().deployments(limit: 100).count == before + 2)
    }

    @Test func headMovedOffTheDeployedCommitIsDrift() async throws {
        let lab = try EngineLab()
        let first = try lab.fixture.remoteHead()
        try lab.commit(["services/web/compose.yml": EngineLab.service("2")])
        #expect(try await lab.sync() == .succeeded)
        _ = try lab.fixture.gitInClone(["checkout", "--quiet", "--detach", first])
        try lab.commit(["services/web/compose.yml": EngineLab.service("3")])
        lab.driver.resetCalls()
        do {
            _ = try await lab.sync()
            Issue.record("expected drift")
        } catch let error as ReconcilerError {
            #expect(error.exitCode == .refused)
            #expect(error.message.contains("moved off the deployed commit"), "\(error.message)")
        }
        #expect(lab.driver.actions == [])
    }

    // MARK: Rollback base (item 9)

    @Test func aRollbackToABaseWhoseConfigurationCannotBeReadTouchesNoUnit() async throws {
        let lab = try EngineLab()
        #expect(try await lab.sync() == .succeeded)
        // The deployed commit's units cannot be read: a unit directory uses the reserved id "system".
        let base = try lab.commit(["services/system/compose.yml": EngineLab.service("1")])
        _ = try lab.fixture.gitInClone(["fetch", "--quiet", "origin"])
        _ = try lab.fixture.gitInClone(["checkout", "--quiet", "--detach", base])
        try lab.store().setDeployedCommit(ObjectID(hex: base))
        try lab.commit([
            "services/system/compose.yml": nil,
            "services/web/compose.yml": EngineLab.service("2"),
            "services/extra/compose.yml": EngineLab.service("1"),
        ])
        lab.driver.unhealthy("web", when: "\"2\"")
        lab.driver.resetCalls()
        let outcome = try await lab.sync()
        guard case .degraded(let why) = outcome else {
            Issue.record("expected degraded, got \(outcome)")
            return
        }
        #expect(outcome.exitCode == .degraded)
        #expect(why.contains("cannot read the units of \(ObjectID(hex: base).short)"), "\(why)")
        #expect(try lab.steps(.rollback) == [], "no unit taken down: \(lab.driver.actions)")
        #expect(!lab.driver.calls(.down).contains("extra"))
    }

    // MARK: Signatures (item 3)

    @Test func anUnsignedHeadIsRefusedAndASignedOneDeployed() async throws {
        let lab = try EngineLab()
        let keys = try SigningKeys()
        defer { keys.remove() }
        let key = try keys.sshKey("ops")
        let signers = try keys.allowedSigners([(principal: "ops@example.org", key: key)])
        let host = lab.fixture.directory.appending("host.json")
        try #"{ "verify": { "mode": "head", "allowedSigners": "\#(signers)" } }"#
            .write(toFile: host, atomically: true, encoding: .utf8)
        let unsigned = try lab.fixture.remoteHead()
        do {
            _ = try await lab.reconciler(hostConfigFile: host).sync(dryRun: false)
            Issue.record("expected a refusal of the unsigned head")
        } catch let error as ReconcilerError {
            #expect(error.exitCode == .refused)
            #expect(error.message.contains(ObjectID(hex: unsigned).short), "\(error.message)")
        }
        #expect(lab.driver.actions == [])
        #expect(try lab.store().failure(of: ObjectID(hex: unsigned)) != nil, "not retried")
        #expect(try lab.deployed() == nil)

        let signed = try keys.commit(in: lab.fixture.author, sshKey: key)
        #expect(try await lab.reconciler(hostConfigFile: host).sync(dryRun: false) == .succeeded)
        #expect(try lab.deployed() == signed)
    }

    // MARK: Scratch copies (item 11)

    @Test func scratchCopiesLiveUnderTheStateDirectoryAndLeftoversAreRemoved() async throws {
        let lab = try EngineLab()
        let stale = "\(lab.stateDir)/tmp/reconciler-killedrun"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        try "TOKEN=left-behind\n".write(toFile: "\(stale)/.env", atomically: true, encoding: .utf8)
        #expect(try await lab.sync() == .succeeded)
        #expect(!FileManager.default.fileExists(atPath: stale), "an earlier killed run's copy is removed")
        let checked = lab.driver.calls.filter { $0.operation == .validate }.compactMap(\.directory)
        #expect(!checked.isEmpty)
        #expect(checked.allSatisfy { $0.hasPrefix("\(lab.stateDir)/tmp/") }, "\(checked)")
        let mode = try FileManager.default.attributesOfItem(atPath: "\(lab.stateDir)/tmp")[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }
}
