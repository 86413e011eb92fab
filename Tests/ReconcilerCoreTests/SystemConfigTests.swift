import Foundation
import ReconcilerCore
import Testing

@Suite struct SystemConfigTests {
    private func decode(_ json: String) throws -> Config {
        try Config.decode(Data(json.utf8), source: "reconciler.json")
    }

    private func error(_ json: String) -> ConfigError? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    @Test func withoutSystemKeysTheStepIsPhasedWithDefaults() throws {
        let system = try decode("{}").system
        #expect(system.phased)
        #expect(system.buildCommand == ["nixos-rebuild", "build", "--flake", "./nixos"])
        #expect(system.profile == "/nix/var/nix/profiles/system")
        #expect(system.confirm.isEmpty)
        #expect(system.confirmTimeout == .seconds(120))
    }

    @Test func switchAloneKeepsTheOneCommandStep() throws {
        let system = try decode(#"{"system": {"switch": ["/usr/local/bin/apply"], "confirmTimeout": "10s"}}"#).system
        #expect(!system.phased)
        #expect(system.confirmTimeout == .seconds(10))
    }

    @Test func buildIsDerivedFromTheSwitchFlake() throws {
        let system = try decode(
            #"{"system": {"switch": ["nixos-rebuild", "switch", "--flake", "./nixos#hl15"], "profile": "/p/system"}}"#
        ).system
        #expect(system.phased)
        #expect(system.buildCommand == ["nixos-rebuild", "build", "--flake", "./nixos#hl15"])
        #expect(system.profile == "/p/system")
    }

    @Test func confirmChecksTakeArgvListsOrTimedObjects() throws {
        let system = try decode(
            #"""
            {"system": {"build": ["nix", "build"], "confirmTimeout": "90s", "confirm": [
              ["systemctl", "is-system-running", "--wait"],
              {"command": ["curl", "-fsS", "http://localhost:32400/identity"], "timeout": "20s"}
            ]}}
            """#
        ).system
        #expect(system.buildCommand == ["nix", "build"])
        #expect(system.confirmTimeout == .seconds(90))
        #expect(
            system.confirm == [
                ConfirmCheck(command: ["systemctl", "is-system-running", "--wait"]),
                ConfirmCheck(command: ["curl", "-fsS", "http://localhost:32400/identity"], timeout: .seconds(20)),
            ]
        )
    }

    @Test func badSystemValuesNameTheKey() {
        #expect(error(#"{"system": {"profile": "profiles/system"}}"#)?.keyPath == "system.profile")
        #expect(error(#"{"system": {"confirm": "systemctl is-system-running"}}"#)?.keyPath == "system.confirm")
        #expect(error(#"{"system": {"confirm": [{"timeout": "5s"}]}}"#)?.keyPath == "system.confirm[0]")
        #expect(error(#"{"system": {"confirm": [{"command": ["true"], "limit": "5s"}]}}"#)?.code == .unknownKey)
        #expect(error(#"{"system": {"confirmTimeout": 30}}"#)?.keyPath == "system.confirmTimeout")
        #expect(error(#"{"system": {"build": "nixos-rebuild build"}}"#)?.keyPath == "system.build")
    }
}
