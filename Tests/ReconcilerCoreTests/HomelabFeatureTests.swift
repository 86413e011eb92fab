import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

@Suite struct NetworkConfigTests {
    private func decode(_ json: String) throws -> Config {
        try Config.decode(Data(json.utf8), source: "reconciler.json")
    }

    @Test func networksDecode() throws {
        let config = try decode(#"{ "networks": { "homelab_network": {}, "vpn.net-2": { "driver": "macvlan" } } }"#)
        #expect(config.networks["homelab_network"] == NetworkSettings())
        #expect(config.networks["vpn.net-2"] == NetworkSettings(driver: "macvlan"))
        #expect(try decode("{}").networks.isEmpty)
    }

    @Test(arguments: [
        (#"{ "networks": [] }"#, "networks: expected an object"),
        (#"{ "networks": { "bad name": {} } }"#, "networks.bad name: not a Docker network name"),
        (#"{ "networks": { "-x": {} } }"#, "networks.-x: not a Docker network name"),
        (#"{ "networks": { "n": { "drvier": "bridge" } } }"#, "networks.n.drvier: unknown key"),
        (#"{ "networks": { "n": { "driver": 3 } } }"#, "networks.n.driver: expected a driver name"),
        (#"{ "networks": { "n": "bridge" } }"#, "networks.n: expected an object"),
    ])
    func badNetworksAreNamed(json: String, message: String) throws {
        #expect {
            try decode(json)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func dockerCommandFollowsTheComposeCommand() {
        let runner = ProcessRunner(logger: .init(label: "test"))
        #expect(Docker(compose: ["docker", "compose"], runner: runner).command == ["docker"])
        #expect(
            Docker(compose: ["sudo", "-n", "docker", "compose"], runner: runner).command == ["sudo", "-n", "docker"]
        )
        #expect(Docker(compose: ["docker-compose"], runner: runner).command == ["docker"])
        #expect(Docker(compose: ["/usr/bin/docker-compose"], runner: runner).command == ["/usr/bin/docker"])
        #expect(Docker(compose: ["/opt/wrapper.sh"], runner: runner).command == ["docker"])
    }
}

@Suite struct SecretsAuditTests {
    @Test func initCopiesTheExampleWithMode600AndNeverOverwrites() throws {
        let dir = try TemporaryDirectory(prefix: "secrets")
        defer { dir.remove() }
        #expect(try SecretsAudit.initEnv(in: dir.path) == .noExample)
        try "KEY=placeholder\n".write(toFile: dir.appending(".env.example"), atomically: true, encoding: .utf8)
        #expect(try SecretsAudit.initEnv(in: dir.path) == .created)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.appending(".env"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: dir.appending(".env"), encoding: .utf8) == "KEY=placeholder\n")
        try "KEY=secret\n".write(toFile: dir.appending(".env"), atomically: true, encoding: .utf8)
        #expect(try SecretsAudit.initEnv(in: dir.path) == .exists)
        #expect(try String(contentsOfFile: dir.appending(".env"), encoding: .utf8) == "KEY=secret\n")
    }

    @Test func auditNamesUnitsAndFilesNeverValues() throws {
        let dir = try TemporaryDirectory(prefix: "secrets")
        defer { dir.remove() }
        let units = ["plex", "sonarr/shows", "sonarr/anime"].map { ServiceUnit(id: $0, servicesRoot: "services") }
        for unit in units {
            try FileManager.default.createDirectory(
                atPath: dir.appending(unit.directory),
                withIntermediateDirectories: true
            )
            try "TOKEN=x\n".write(
                toFile: dir.appending("\(unit.directory)/.env.example"),
                atomically: true,
                encoding: .utf8
            )
        }
        try "TOKEN=hunter2\n".write(toFile: dir.appending("services/plex/.env"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o640],
            ofItemAtPath: dir.appending("services/plex/.env")
        )
        _ = try SecretsAudit.initEnv(in: dir.appending("services/sonarr/shows"))
        let failures = SecretsAudit.audit(
            units: units,
            workdir: dir.path,
            trackedEnvFiles: ["services/sonarr/shows/.env"]
        )
        let byUnit = Dictionary(grouping: failures, by: \.unit).mapValues { $0.map(\.message) }
        #expect(byUnit["plex"]?.first?.contains("readable by its group (mode 640)") == true, "\(failures)")
        // A missing .env is the deploy validation's to report, once ("no .env: run `reconciler secrets init`").
        #expect(byUnit["sonarr/anime"] == nil, "\(failures)")
        #expect(byUnit["sonarr/shows"]?.first?.contains("is tracked by git") == true)
        #expect(failures.count == 2)
        #expect(!failures.map(\.message).joined().contains("hunter2"))
    }

    @Test func keysThatLookSecretAndOthers() {
        for key in [
            "DB_PASSWORD", "plex_token", "CLIENT_SECRET", "WIREGUARD_PRIVATE_KEY", "sonarr_api_key", "ApiToken",
        ] {
            #expect(SecretsAudit.looksSecret(key), "\(key)")
        }
        for key in ["PUID", "TZ", "DB_USERNAME", "KEYBOARD", "PLEX_CLAIM", "KEY_FILE"] {
            #expect(!SecretsAudit.looksSecret(key), "\(key)")
        }
    }
}
