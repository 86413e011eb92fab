import Foundation
import Git
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

/// The checks the engine runs before any step, each refusal naming the commit, the paths and the exit code.
@Suite(.serialized) struct CommitPreflightTests {
    private func fetch(_ repo: Repository) throws -> ObjectID {
        try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
    }

    @Test func aCommitTrackingTheOperatorsEnvIsRefusedByNameAndNothingIsTouched() throws {
        let fixture = try GitFixture.make(files: [".gitignore": ".env\n", "services/plex/compose.yml": "v1\n"])
        defer { fixture.remove() }
        try GitFixture.write("PLEX_CLAIM=claim-secret-1234\n", to: "services/plex/.env", in: fixture.clone)
        try GitFixture.write("PLEX_CLAIM=from-git\n", to: "services/plex/.env", in: fixture.author)
        try GitFixture.git(["add", "--force", "services/plex/.env"], in: fixture.author)
        try GitFixture.git(["commit", "--quiet", "-m", "track env"], in: fixture.author)
        try GitFixture.git(["push", "--quiet", "origin", "HEAD:refs/heads/main"], in: fixture.author)
        let repo = try Repository(at: fixture.clone)
        let target = try fetch(repo)

        let refusal = try #require(try CommitPreflight.check(target, in: repo))
        #expect(refusal.reason == .trackedEnvFiles(["services/plex/.env"]))
        #expect(refusal.exitCode == .configuration)
        #expect(refusal.description.hasPrefix("commit \(target.short) tracks .env files"))
        #expect(refusal.description.contains("services/plex/.env"))

        let conflicts = try #require(try CommitPreflight.check(target, in: repo, checkingEnvFiles: false))
        #expect(conflicts.exitCode == .configuration)
        #expect(
            conflicts.description.contains(
                "services/plex/.env: an ignored file in the work tree would be overwritten by the commit's file"
            )
        )
        #expect(
            try String(contentsOfFile: "\(fixture.clone)/services/plex/.env", encoding: .utf8)
                == "PLEX_CLAIM=claim-secret-1234\n"
        )
        #expect(
            try CommitPreflight.check(ObjectID(hex: try fixture.gitInClone(["rev-parse", "HEAD"])), in: repo) == nil
        )
    }

    /// The crafted `nixos/../../x` commit is refused before anything is written, naming the path.
    @Test func aTreeThatClimbsOutIsRefusedFirst() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let commit = ObjectID(hex: try CraftedTree(in: fixture.clone).escapingCommit())
        let repo = try Repository(at: fixture.clone)
        let refusal = try #require(try CommitPreflight.check(commit, in: repo))
        #expect(refusal.reason == .unsafeTreePaths([TreePathProblem(path: "nixos/..", reason: .dotDot)]))
        #expect(refusal.exitCode == .configuration)
        #expect(
            refusal.description
                == "commit \(commit.short) has tree entries that would write outside the work tree or into .git; "
                + "it is never checked out:\n  nixos/..: an entry named \"..\" would write outside its directory"
        )
        #expect(!FileManager.default.fileExists(atPath: "\(fixture.directory.path)/x"))
    }

    @Test func aForcePushBackIsRefusedUnlessAccepted() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let old = try fixture.remoteHead()
        let deployed = ObjectID(hex: try fixture.commit(files: ["fix": "1\n"]))
        try GitFixture.git(["push", "--quiet", "--force", "origin", "\(old):refs/heads/main"], in: fixture.author)
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: fixture.author, branch: "main", credentials: Credentials(), timeout: .seconds(20))
        let head = try fetch(repo)

        let refusal = try #require(
            try CommitPreflight.checkHistory(head, deployed: deployed, in: repo, acceptRewrite: false)
        )
        #expect(refusal.exitCode == .refused)
        #expect(
            refusal.description.hasPrefix(
                "remote history rewritten: deployed \(deployed.short), remote \(head.short) (the remote branch was "
                    + "reset to an older commit)"
            )
        )
        #expect(try CommitPreflight.checkHistory(head, deployed: deployed, in: repo, acceptRewrite: true) == nil)
        #expect(try CommitPreflight.checkHistory(head, deployed: nil, in: repo, acceptRewrite: false) == nil)
    }

    @Test func anUnsignedHeadIsRefusedWhenVerifyIsOn() async throws {
        let keys = try SigningKeys()
        defer { keys.remove() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let alice = try keys.sshKey("alice")
        let allowed = try keys.allowedSigners([("alice@homelab", alice)])
        let repo = try Repository(at: fixture.clone)
        let unsigned = ObjectID(hex: try keys.commit(in: fixture.author))
        let signed = ObjectID(hex: try keys.commit(in: fixture.author, sshKey: alice))
        _ = try fetch(repo)
        let runner = ProcessRunner(logger: Logger(label: "test"))
        let verify = VerifyConfig(mode: .head, allowedSigners: allowed)

        let refusal = try #require(
            try await CommitPreflight.checkSignature(
                unsigned,
                in: repo,
                verify: verify,
                runner: runner,
                scratchDirectory: keys.directory.path
            )
        )
        #expect(refusal.exitCode == .refused)
        #expect(refusal.reason == .signature(SignatureVerdict(commit: unsigned, outcome: .unsigned)))
        #expect(
            try await CommitPreflight.checkSignature(
                signed,
                in: repo,
                verify: verify,
                runner: runner,
                scratchDirectory: keys.directory.path
            ) == nil
        )
        #expect(
            try await CommitPreflight.checkSignature(
                unsigned,
                in: repo,
                verify: VerifyConfig(mode: .off),
                runner: runner,
                scratchDirectory: keys.directory.path
            ) == nil
        )
    }

    @Test func aRunsMaskerKnowsEveryEnvValueTheTokenAndTheURLPassword() throws {
        let directory = try TemporaryDirectory(prefix: "masker-run")
        defer { directory.remove() }
        let tree = directory.appending("tree")
        try GitFixture.write("DB_PASSWORD=db-secret-value\n", to: "services/a/.env", in: tree)
        try GitFixture.write("API=\"api-secret-value\"\n", to: "services/b/one/.env", in: tree)
        try GitFixture.write("NOT=a-git-secret\n", to: ".git/.env", in: tree)
        let token = directory.appending("token")
        try Data("token-secret-value\n".utf8).write(to: URL(fileURLWithPath: token))
        var config = Config()
        config.auth.tokenFile = token
        config.remote = "https://deploy:url-secret-value@git.example/h.git"

        let masker = SecretMasker.forRun(config: config, workTree: tree, remoteURL: nil)
        let text = "db-secret-value api-secret-value token-secret-value url-secret-value a-git-secret"
        #expect(masker.mask(text) == "*** *** *** *** a-git-secret")
    }
}
