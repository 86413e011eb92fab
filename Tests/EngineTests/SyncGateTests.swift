import Foundation
import Git
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

/// The checks before a sync deploys a fetched head, on their own: a real repository and a real state file, no driver.
@Suite struct SyncGateTests {
    let lab: EngineLab
    let repository: Repository
    let store: StateStore

    init() throws {
        lab = try EngineLab()
        repository = try Repository(at: lab.fixture.clone)
        store = try lab.store()
    }

    private func gate() -> SyncGate {
        SyncGate(
            repository: repository,
            store: store,
            runner: ProcessRunner(logger: Logger(label: "gate-test")),
            scratchDirectory: "\(lab.stateDir)/tmp"
        )
    }

    /// The head as a fetch leaves it, by commit id.
    private func head(_ hex: String) throws -> Commit {
        _ = try repository.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        return try repository.commit(for: hex)
    }

    private func check(
        _ head: Commit,
        deployed: String?,
        config: Config = Config(),
        acceptRewrite: Bool = false
    ) async throws -> SyncGate.Decision {
        try await gate().check(
            head: head,
            deployed: deployed.map(ObjectID.init(hex:)),
            config: config,
            acceptRewrite: acceptRewrite
        )
    }

    @Test func aNewDescendantIsDeployedAndTheDeployedOneIsNot() async throws {
        let first = try lab.fixture.remoteHead()
        let second = try head(try lab.commit(["services/web/compose.yml": EngineLab.service("2")]))
        #expect(try await check(second, deployed: first) == SyncGate.Decision(verdict: .deploy))
        let same = try await check(second, deployed: second.id.hex)
        guard case .skip(let why) = same.verdict else {
            Issue.record("expected a skip, got \(same)")
            return
        }
        #expect(why.hasPrefix("up to date at \(second.id.short)"))
    }

    @Test func aRewrittenHistoryIsRefusedAndRecordedOnceUnlessAccepted() async throws {
        let first = try lab.fixture.remoteHead()
        let second = try head(try lab.commit(["services/web/compose.yml": EngineLab.service("2")])).id.hex
        // A force-push back to the first commit: the remote head no longer descends from the deployed one.
        _ = try GitFixture.git(
            ["push", "--quiet", "--force", "origin", "\(first):refs/heads/main"],
            in: lab.fixture.author
        )
        let sibling = first
        let head = try head(sibling)

        let refused = try await check(head, deployed: second)
        guard case .refuse(let code, let message, let record) = refused.verdict else {
            Issue.record("expected a refusal, got \(refused)")
            return
        }
        #expect(code == .refused && record && message.hasPrefix(CommitPreflight.rewritePrefix))
        // Once recorded (the ledger marks it failed), the same refusal is not recorded again.
        try store.markFailed(head.id, reason: message)
        #expect(try await check(head, deployed: second).verdict == .refuse(code, message, record: false))
        // Accepted (`--accept-rewrite`, or `allowRewrite` in the host file): deployed despite the recorded refusal.
        #expect(try await check(head, deployed: second, acceptRewrite: true).verdict == .deploy)
        var allowing = Config()
        allowing.allowRewrite = true
        #expect(try await check(head, deployed: second, config: allowing).verdict == .deploy)
    }

    @Test func aHeldHeadIsSkippedAndAMovedRemoteReleasesTheHold() async throws {
        let first = try lab.fixture.remoteHead()
        let second = try head(try lab.commit(["services/web/compose.yml": EngineLab.service("2")]))
        try store.setHold(second.id, reason: "rolled back to \(ObjectID(hex: first).short) by an operator")
        let held = try await check(second, deployed: first)
        guard case .skip(let why) = held.verdict else {
            Issue.record("expected a skip, got \(held)")
            return
        }
        #expect(why.hasPrefix("held: \(second.id.short) was rolled back from") && !held.releasesHold)

        let third = try head(try lab.commit(["services/web/compose.yml": EngineLab.service("3")]))
        #expect(try await check(third, deployed: first) == SyncGate.Decision(verdict: .deploy, releasesHold: true))
    }

    @Test func aCommitKnownToFailIsSkippedWhileAHoldBehindItIsStillReleased() async throws {
        let first = try lab.fixture.remoteHead()
        let second = try head(try lab.commit(["services/web/compose.yml": EngineLab.service("2")]))
        try store.markFailed(second.id, reason: "up web: unhealthy")
        try store.setHold(ObjectID(hex: first), reason: "an older hold")
        let decision = try await check(second, deployed: first)
        guard case .skip(let why) = decision.verdict else {
            Issue.record("expected a skip, got \(decision)")
            return
        }
        #expect(why.contains("is not retried: up web: unhealthy") && decision.releasesHold)
    }

    @Test func anUnsignedHeadIsRefusedWhenHeadsMustBeSigned() async throws {
        let first = try lab.fixture.remoteHead()
        let second = try head(try lab.commit(["services/web/compose.yml": EngineLab.service("2")]))
        let signers = lab.fixture.directory.appending("allowed_signers")
        try "admin@example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDXNB1Q8bXvZ0pJ1k5GZ4Ff7p0e9lYV9tNq8K3xLr0eC\n"
            .write(toFile: signers, atomically: true, encoding: .utf8)
        var config = Config()
        config.verify = VerifyConfig(mode: .head, allowedSigners: signers)
        let decision = try await check(second, deployed: first, config: config)
        guard case .refuse(let code, let message, let record) = decision.verdict else {
            Issue.record("expected a refusal, got \(decision)")
            return
        }
        #expect(code == .refused && record && message.contains(second.id.short))
        #expect(try await check(second, deployed: first).verdict == .deploy)
    }

    @Test func aShallowCloneIsAConfigurationErrorNamingTheFix() async throws {
        let shallow = lab.fixture.directory.appending("shallow")
        _ = try lab.commit(["services/web/compose.yml": EngineLab.service("2")])
        _ = try GitFixture.git(["clone", "--quiet", "--depth", "1", "file://\(lab.fixture.remote)", shallow])
        let repository = try Repository(at: shallow)
        let gate = SyncGate(
            repository: repository,
            store: store,
            runner: ProcessRunner(logger: Logger(label: "gate-test")),
            scratchDirectory: "\(lab.stateDir)/tmp"
        )
        let head = try repository.commit(for: "HEAD")
        do {
            _ = try await gate.check(head: head, deployed: nil, config: Config(), acceptRewrite: false)
            Issue.record("a shallow clone was not refused")
        } catch let error as ReconcilerError {
            #expect(error.exitCode == .configuration && error.message.contains("fetch --unshallow origin"))
        }
    }
}
