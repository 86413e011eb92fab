import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

@Suite struct SopsEnvironmentTests {
    @Test func theHostFileSetsTheKeyFileAndACommitMayNot() throws {
        let host = try Config.resolve(
            repoFile: Data(#"{"branch": "main"}"#.utf8),
            hostFile: Data(#"{"sops": {"ageKeyFile": "/var/lib/reconciler/age.key"}}"#.utf8)
        )
        #expect(host.sops.ageKeyFile == "/var/lib/reconciler/age.key")
        let refused = #expect(throws: ConfigError.self) {
            try Config.resolve(repoFile: Data(#"{"sops": {"ageKeyFile": "/tmp/k"}}"#.utf8), hostFile: nil)
        }
        #expect(refused?.keyPath == "sops")
        let relative = #expect(throws: ConfigError.self) {
            try Config.resolve(repoFile: nil, hostFile: Data(#"{"sops": {"ageKeyFile": "age.key"}}"#.utf8))
        }
        #expect(relative?.keyPath == "sops.ageKeyFile")
        let unknown = #expect(throws: ConfigError.self) {
            try Config.resolve(repoFile: nil, hostFile: Data(#"{"sops": {"pgp": "x"}}"#.utf8))
        }
        #expect(unknown?.keyPath == "sops.pgp")
    }

    @Test func theEnvironmentVariableIsUsedWhenTheHostFileSetsNone() {
        let fromEnvironment = SopsEnvironment(
            settings: SopsSettings(),
            scratchRoot: "/s",
            environment: ["SOPS_AGE_KEY_FILE": "/env/key"]
        )
        #expect(fromEnvironment.ageKeyFile == "/env/key")
        let fromHost = SopsEnvironment(
            settings: SopsSettings(ageKeyFile: "/host/key"),
            scratchRoot: "/s",
            environment: ["SOPS_AGE_KEY_FILE": "/env/key"]
        )
        #expect(fromHost.ageKeyFile == "/host/key")
        #expect(SopsEnvironment(settings: SopsSettings(), scratchRoot: "/s", environment: [:]).ageKeyFile == nil)
    }

    @Test func aKeyFileOthersCanReadIsRefused() throws {
        let dir = try TemporaryDirectory(prefix: "sops-env")
        defer { dir.remove() }
        let path = dir.appending("age.key")
        try Data("\(AgeIdentity.generate().secretKeyText)\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        let environment = SopsEnvironment(settings: SopsSettings(ageKeyFile: path), scratchRoot: dir.path)
        let error = #expect(throws: SopsError.self) { try environment.identities() }
        #expect(error?.message == "the age key file \(path) is readable by its group; run chmod 600 \(path)")
        chmod(path, 0o600)
        #expect(try environment.identities().count == 1)
    }

    /// The decrypted values reach Compose through a 0600 file in the scratch, followed by the unit's own `.env`,
    /// and are gone after the command.
    @Test func envFilesAreDecryptedIntoPrivateScratchThenTheOwnEnv() throws {
        let dir = try TemporaryDirectory(prefix: "sops-env")
        defer { dir.remove() }
        let unit = dir.appending("unit")
        let keyFile = try Self.sealedUnit(at: unit, plain: "A=sealed-alpha\n", keyIn: dir)
        let environment = SopsEnvironment(
            settings: SopsSettings(ageKeyFile: keyFile),
            scratchRoot: dir.appending("tmp")
        )
        let first = try #require(try environment.envFiles(forDirectory: unit))
        #expect(first.arguments.count == 2)
        let plainPath = first.arguments[1]
        #expect(plainPath.hasPrefix(dir.appending("tmp/")))
        #expect(try String(contentsOfFile: plainPath, encoding: .utf8) == "A=sealed-alpha\n")
        let mode = (try FileManager.default.attributesOfItem(atPath: plainPath)[.posixPermissions] as? NSNumber)
        #expect(mode?.intValue == 0o600)
        #expect(SecretMasker.shared.mask("x sealed-alpha y") == "x *** y")
        first.remove()
        #expect(!FileManager.default.fileExists(atPath: plainPath))
        try Data("A=own\n".utf8).write(to: URL(fileURLWithPath: "\(unit)/.env"))
        let second = try #require(try environment.envFiles(forDirectory: unit))
        defer { second.remove() }
        #expect(second.arguments.count == 4)
        #expect(Array(second.arguments[2...]) == ["--env-file", "\(unit)/.env"])
        #expect(try environment.envFiles(forDirectory: dir.path) == nil)
    }

    @Test func valuesOfEveryEnvSopsInTheWorkTreeAreMaskedAtStart() throws {
        let dir = try TemporaryDirectory(prefix: "sops-mask")
        defer { dir.remove() }
        let keyFile = try Self.sealedUnit(
            at: dir.appending("tree/services/deep/unit"),
            plain: "K=masked-at-start-7\n",
            keyIn: dir
        )
        #expect(SecretMasker.shared.mask("masked-at-start-7") == "masked-at-start-7")
        SopsEnvironment(settings: SopsSettings(ageKeyFile: keyFile), scratchRoot: "").maskValues(
            under: dir.appending("tree")
        )
        #expect(SecretMasker.shared.mask("v=masked-at-start-7") == "v=***")
    }

    /// A unit directory at `unit` whose `.env.sops` seals `plain` to a new identity, and that identity's key file
    /// (mode 600) in `directory`; returns the key file's path.
    static func sealedUnit(at unit: String, plain: String, keyIn directory: TemporaryDirectory) throws -> String {
        let identity = AgeIdentity.generate()
        let keyFile = directory.appending("age.key")
        try Data("\(identity.secretKeyText)\n".utf8).write(to: URL(fileURLWithPath: keyFile))
        chmod(keyFile, 0o600)
        try FileManager.default.createDirectory(atPath: unit, withIntermediateDirectories: true)
        try Data(try SopsEncryptor.seal(plain, to: [identity.recipient]).utf8)
            .write(to: URL(fileURLWithPath: "\(unit)/.env.sops"))
        return keyFile
    }
}
