import Foundation
import ReconcilerTesting
import Testing

/// `.env.sops` end to end on the rig's engine with the built binary: sealed by `reconciler secrets seal` with a key
/// from the real `age-keygen`, deployed into the containers' environment, refused whole when it does not open.
@Suite(.serialized)
struct SopsDeployTests {
    static let dbPassword = "sealed-db-9f3k2zq"
    static let apiToken = "sealed-tok-x8q1w7"
    static let operatorToken = "operator-wins-77a"
    static let newPassword = "sealed-db-rotated-5h2"

    /// A homelab whose unit `app` reads DB_PASSWORD and API_TOKEN by interpolation, the host's age key, and helpers.
    struct Rig {
        let homelab: Homelab
        let app: String
        let keyFile: String
        let recipient: String

        init() throws {
            homelab = try Homelab()
            app = "sealed\(homelab.tag)"
            keyFile = homelab.dir.appending("age.key")
            try Command.check(["age-keygen", "-o", keyFile])
            chmod(keyFile, 0o600)
            recipient = try Command.check(["age-keygen", "-y", keyFile]).trimmingCharacters(in: .whitespacesAndNewlines)
            try #"{"sops": {"ageKeyFile": "\#(keyFile)"}}"#.write(
                toFile: homelab.dir.appending("host-config.json"),
                atomically: true,
                encoding: .utf8
            )
        }

        func compose(_ version: String) -> String {
            Homelab.service(version: version).replacingOccurrences(
                of: "    network_mode: none\n",
                with: "    network_mode: none\n"
                    + "    environment: { DB_PASSWORD: \"${DB_PASSWORD}\", API_TOKEN: \"${API_TOKEN:-unset}\" }\n"
            )
        }

        /// `reconciler secrets seal app --age …` in the author clone, from a `.env` there; the written file's text.
        func seal(_ env: String, to recipients: [String]) throws -> String {
            let unitDir = "\(homelab.author)/services/\(app)"
            try FileManager.default.createDirectory(atPath: unitDir, withIntermediateDirectories: true)
            try env.write(toFile: "\(unitDir)/.env", atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: "\(unitDir)/.env") }
            if !FileManager.default.fileExists(atPath: "\(unitDir)/compose.yml") {
                try compose("0").write(toFile: "\(unitDir)/compose.yml", atomically: true, encoding: .utf8)
            }
            let result = try Command.run(
                [ReconcilerBinary.path, "secrets", "seal", app]
                    + recipients.flatMap { ["--age", $0] }
                    + ["--repo", homelab.author, "--state-dir", homelab.dir.appending("author-state")],
                environment: ["RECONCILER_HOST_CONFIG": homelab.dir.appending("none.json")]
            )
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stdout.contains("services/\(app)/.env.sops: 2 key(s)"), "\(result.output)")
            #expect(!result.output.contains(SopsDeployTests.dbPassword))
            return try String(contentsOfFile: "\(unitDir)/.env.sops", encoding: .utf8)
        }

        func sync() throws -> CommandResult {
            let result = try ReconcilerBinary.run(["sync"], homelab: homelab)
            for value in [
                SopsDeployTests.dbPassword, SopsDeployTests.apiToken, SopsDeployTests.operatorToken,
                SopsDeployTests.newPassword,
            ] {
                #expect(!result.output.contains(value), "a value in the output: \(result.output)")
            }
            return result
        }

        func environment() throws -> [String] {
            let id = try #require(try Containers.running(app).first)
            let json = try Command.check(
                ["docker", "inspect", "--format", "{{json .Config.Env}}", id],
                environment: DockerRig.environment
            )
            return try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String] ?? []
        }
    }

    @Test func aUnitWhoseSecretsAreOnlyInEnvSopsDeploysWithThemAndRefusesWhatDoesNotOpen() throws {
        try DockerRig.requireEngine()
        let rig = try Rig()
        let homelab = rig.homelab
        defer { homelab.tearDown(projects: [rig.app]) }
        let plain = "DB_PASSWORD=\(Self.dbPassword)\nAPI_TOKEN=\(Self.apiToken)\n"
        let sealed = try rig.seal(plain, to: [rig.recipient])
        try homelab.commit(
            [
                "reconciler.json": homelab.config(),
                ".gitignore": ".env\n",
                "services/\(rig.app)/compose.yml": rig.compose("1"),
                "services/\(rig.app)/.env.sops": sealed,
            ],
            message: "app with sealed secrets"
        )
        try homelab.cloneDeploy()
        let first = try rig.sync()
        #expect(first.status == 0, "\(first.output)")
        let environment = try rig.environment()
        #expect(environment.contains("DB_PASSWORD=\(Self.dbPassword)"), "\(environment)")
        #expect(environment.contains("API_TOKEN=\(Self.apiToken)"), "\(environment)")

        // The operator's untracked .env is read after the decrypted values: it wins key by key.
        try "API_TOKEN=\(Self.operatorToken)\n".write(
            toFile: "\(homelab.deploy)/services/\(rig.app)/.env",
            atomically: true,
            encoding: .utf8
        )
        chmod("\(homelab.deploy)/services/\(rig.app)/.env", 0o600)
        try homelab.commit(["services/\(rig.app)/compose.yml": rig.compose("2")], message: "v2")
        let second = try rig.sync()
        #expect(second.status == 0, "\(second.output)")
        let overridden = try rig.environment()
        #expect(overridden.contains("API_TOKEN=\(Self.operatorToken)"), "\(overridden)")
        #expect(overridden.contains("DB_PASSWORD=\(Self.dbPassword)"), "\(overridden)")

        // Plan names the keys whose values a new .env.sops changes, or only that secrets changed without the key.
        let resealed = try rig.seal(
            "DB_PASSWORD=\(Self.newPassword)\nAPI_TOKEN=\(Self.apiToken)\n",
            to: [rig.recipient]
        )
        let v2b = try homelab.commit(["services/\(rig.app)/.env.sops": resealed], message: "new db password")
        try homelab.git(["fetch", "--quiet"], in: homelab.deploy)
        let plan = try ReconcilerBinary.run(["plan", "--to", v2b], homelab: homelab)
        #expect(plan.status == 0, "\(plan.output)")
        #expect(
            plan.stdout.contains("\(rig.app): secrets changed: DB_PASSWORD\n")
                || plan.stdout.hasSuffix("\(rig.app): secrets changed: DB_PASSWORD"),
            "\(plan.output)"
        )
        let hostConfig = homelab.dir.appending("host-config.json")
        let hostText = try String(contentsOfFile: hostConfig, encoding: .utf8)
        try FileManager.default.removeItem(atPath: hostConfig)
        let blind = try ReconcilerBinary.run(["plan", "--to", v2b], homelab: homelab)
        #expect(blind.stdout.contains("\(rig.app): secrets changed"), "\(blind.output)")
        #expect(!blind.stdout.contains("DB_PASSWORD"), "\(blind.output)")
        for output in [plan.output, blind.output] { #expect(!output.contains(Self.newPassword)) }
        try hostText.write(toFile: hostConfig, atomically: true, encoding: .utf8)

        // A changed ciphertext byte: the commit is refused, the containers stay at v2.
        let tampered = sealed.replacingOccurrences(
            of: "DB_PASSWORD=ENC[AES256_GCM,data:",
            with: "DB_PASSWORD=ENC[AES256_GCM,data:AAAA"
        )
        try homelab.commit(
            ["services/\(rig.app)/compose.yml": rig.compose("3"), "services/\(rig.app)/.env.sops": tampered],
            message: "tampered"
        )
        let third = try rig.sync()
        #expect(third.status == 1, "\(third.output)")
        #expect(third.output.contains("failed validation"), "\(third.output)")
        #expect(
            third.output.contains("services/\(rig.app)/.env.sops: the value of DB_PASSWORD does not decrypt"),
            "\(third.output)"
        )
        #expect(try Containers.version(rig.app) == "2")

        // Sealed to someone else only.
        let otherKey = homelab.dir.appending("other.key")
        try Command.check(["age-keygen", "-o", otherKey])
        let other = try Command.check(["age-keygen", "-y", otherKey]).trimmingCharacters(in: .whitespacesAndNewlines)
        try homelab.commit(
            [
                "services/\(rig.app)/compose.yml": rig.compose("4"),
                "services/\(rig.app)/.env.sops": try rig.seal(plain, to: [other]),
            ],
            message: "sealed to another key"
        )
        let fourth = try rig.sync()
        #expect(fourth.status == 1, "\(fourth.output)")
        #expect(
            fourth.output.contains("\(rig.app): services/\(rig.app)/.env.sops: no configured age identity opens it"),
            "\(fourth.output)"
        )
        #expect(try Containers.version(rig.app) == "2")

        // A good file, but the host has no identity configured.
        try homelab.commit(
            ["services/\(rig.app)/compose.yml": rig.compose("5"), "services/\(rig.app)/.env.sops": sealed],
            message: "sealed again"
        )
        try FileManager.default.removeItem(atPath: homelab.dir.appending("host-config.json"))
        let fifth = try rig.sync()
        #expect(fifth.status == 1, "\(fifth.output)")
        #expect(fifth.output.contains("services/\(rig.app)/.env.sops: no age identity configured"), "\(fifth.output)")
        #expect(try Containers.version(rig.app) == "2")

        // No value anywhere on disk but the containers: state (database and its journal), work tree, scratch.
        for root in [homelab.stateDir, homelab.deploy] {
            for path in try allFiles(under: root) {
                let data = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
                for value in [Self.dbPassword, Self.apiToken, Self.newPassword] {
                    #expect(data.range(of: Data(value.utf8)) == nil, "\(value) found in \(path)")
                }
            }
        }
        let scratch = "\(homelab.stateDir)/tmp"
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []).isEmpty)
    }

    /// A repository laid out like wajeht/home-ops: `apps/<app>/.env.sops` beside each Compose file, no `.env`.
    @Test func validateWithoutTheKeySaysSoPerUnit() throws {
        let homelab = try Homelab()
        defer { homelab.dir.remove() }
        let identity = homelab.dir.appending("age.key")
        try Command.check(["age-keygen", "-o", identity])
        let recipient = try Command.check(["age-keygen", "-y", identity]).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        var files: [String: String?] = [
            "reconciler.json": #"{"services": {"root": "apps"}, "system": {"root": "nixos"}}"#,
            ".gitignore": ".env\n",
        ]
        for app in ["gitea", "miniflux"] {
            files["apps/\(app)/compose.yml"] = Homelab.service(version: "1")
            files["apps/\(app)/.env.sops"] = try seal("TOKEN=t-\(app)-secret\n", recipient: recipient)
        }
        try homelab.commit(files, message: "home-ops layout")
        let result = try Command.run(
            [ReconcilerBinary.path, "validate", "--repo", homelab.author, "--state-dir", homelab.stateDir],
            environment: DockerRig.environment.merging(["RECONCILER_HOST_CONFIG": homelab.dir.appending("none.json")]) {
                _,
                b in b
            }
        )
        #expect(result.status == 1, "\(result.output)")
        for app in ["gitea", "miniflux"] {
            #expect(
                result.stderr.contains("\(app): apps/\(app)/.env.sops: no age identity configured"),
                "\(result.output)"
            )
        }
        #expect(!result.output.contains("missing"), "\(result.output)")
        #expect(!result.output.contains("t-gitea-secret"), "\(result.output)")
    }

    /// A `.env.sops` written by `reconciler secrets seal` in a throw-away repository.
    private func seal(_ plain: String, recipient: String) throws -> String {
        let dir = try TemporaryDirectory(prefix: "sops-seal")
        defer { dir.remove() }
        try "{}".write(toFile: dir.appending("none.json"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir.appending("repo/apps/x"), withIntermediateDirectories: true)
        try Command.check(["git", "init", "--quiet", dir.appending("repo")])
        try #"{"services": {"root": "apps"}}"#.write(
            toFile: dir.appending("repo/reconciler.json"),
            atomically: true,
            encoding: .utf8
        )
        try Homelab.service(version: "1").write(
            toFile: dir.appending("repo/apps/x/compose.yml"),
            atomically: true,
            encoding: .utf8
        )
        try plain.write(toFile: dir.appending("repo/apps/x/.env"), atomically: true, encoding: .utf8)
        try Command.check(
            [
                ReconcilerBinary.path, "secrets", "seal", "x", "--age", recipient, "--repo", dir.appending("repo"),
                "--state-dir", dir.appending("state"),
            ],
            environment: ["RECONCILER_HOST_CONFIG": dir.appending("none.json")]
        )
        return try String(contentsOfFile: dir.appending("repo/apps/x/.env.sops"), encoding: .utf8)
    }

    private func allFiles(under root: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        return walker.compactMap { $0 as? String }.map { "\(root)/\($0)" }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
