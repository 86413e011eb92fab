import Foundation
import Git
import Testing

@testable import ReconcilerCore

/// `hosts` in reconciler.json: decoding, assignment checks and the pure narrowing to one host.
@Suite struct HostScopeTests {
    /// The two-host example of docs/multi-host.md: the big box and a Raspberry Pi.
    static let twoHosts = """
        {
          "system": { "switch": ["nixos-rebuild", "switch", "--flake", "./nixos"] },
          "units": { "web": { "dependsOn": ["db"] } },
          "hosts": {
            "big": { "system": "homelab-hl15", "units": ["db", "web", "media/*"] },
            "pi": { "system": "pi", "units": ["dns"] }
          }
        }
        """

    private func decode(_ text: String) throws -> Config {
        try Config.decode(Data(text.utf8), source: "reconciler.json")
    }

    private func units(_ ids: [String]) throws -> UnitSet {
        let entries =
            ids.map { TreeEntry(path: "services/\($0)/compose.yml", kind: .file) }
            + [TreeEntry(path: "nixos/flake.nix", kind: .file)]
        return try UnitDiscovery.discover(
            entries: entries,
            servicesRoot: "services",
            systemRoot: "nixos",
            symlinkTarget: { _ in nil }
        )
    }

    private func configError(_ body: () throws -> Void) -> ConfigError? {
        do {
            try body()
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test func hostsDecode() throws {
        let config = try decode(Self.twoHosts)
        #expect(
            config.hosts["big"] == HostSettings(system: .attribute("homelab-hl15"), units: ["db", "web", "media/*"])
        )
        #expect(config.hosts["pi"]?.units == ["dns"])
        let command = try decode(
            #"{"hosts": {"vps": {"system": ["/run/switch", "now"], "units": ["*"], "engine": "swarm"}}}"#
        )
        #expect(
            command.hosts["vps"]
                == HostSettings(system: .command(["/run/switch", "now"]), units: ["*"], engine: .swarm)
        )
        #expect(try decode(#"{"units": {"a": {"engine": "swarm"}}}"#).units["a"]?.engine == .swarm)
    }

    @Test func badHostsAreConfigurationErrors() throws {
        #expect(configError { _ = try decode(#"{"hosts": {"pi": {"unit": []}}}"#) }?.keyPath == "hosts.pi.unit")
        #expect(configError { _ = try decode(#"{"hosts": {"pi": {"system": 3}}}"#) }?.keyPath == "hosts.pi.system")
        #expect(configError { _ = try decode(#"{"hosts": {"pi": {"system": "a#b"}}}"#) }?.keyPath == "hosts.pi.system")
        #expect(configError { _ = try decode(#"{"hosts": {"pi": {"engine": "k8s"}}}"#) }?.keyPath == "hosts.pi.engine")
        #expect(configError { _ = try decode(#"{"hosts": ["pi"]}"#) }?.code == .wrongType)
    }

    @Test func globs() {
        #expect(HostSettings.glob("media/*", matches: "media/plex"))
        #expect(!HostSettings.glob("media/*", matches: "media"))
        #expect(HostSettings.glob("*", matches: "sonarr/shows"))
        #expect(HostSettings.glob("d?s", matches: "dns"))
        #expect(!HostSettings.glob("dns", matches: "dnsmasq"))
        #expect(HostSettings.glob("*arr", matches: "sonarr"))
    }

    @Test func aUnitOnTwoHostsIsAnErrorNamingIt() throws {
        var config = try decode(Self.twoHosts)
        config.hosts["pi"]?.units.append("web")
        let error = configError { try config.validateHosts(units: try units(["db", "web", "dns"])) }
        #expect(error?.code == .hostAssignment)
        #expect(error?.message.contains("\"web\" is assigned to two hosts, \"big\" and \"pi\"") == true)
    }

    @Test func aUnitOnNoHostIsAnErrorNamingIt() throws {
        let config = try decode(Self.twoHosts)
        let error = configError { try config.validateHosts(units: try units(["db", "web", "dns", "adguard"])) }
        #expect(error?.code == .hostAssignment)
        #expect(error?.message.contains("\"adguard\" is assigned to no host") == true)
    }

    @Test func aDependencyAcrossHostsIsAnError() throws {
        var config = try decode(Self.twoHosts)
        config.units["dns"] = UnitSettings(dependsOn: ["db"])
        let error = configError { try config.validateHosts(units: try units(["db", "web", "dns"])) }
        #expect(error?.keyPath == "units.dns.dependsOn")
        #expect(error?.message.contains("\"dns\" (host \"pi\") depends on \"db\" (host \"big\")") == true)
    }

    @Test func anUnknownUnitIdInHostsIsAnError() throws {
        let config = try decode(Self.twoHosts)
        let error = configError { try config.validateHosts(units: try units(["db", "web"])) }
        #expect(error?.code == .unknownUnit)
        #expect(error?.keyPath == "hosts.pi.units[0]")
    }

    @Test func anUnknownHostIsAnErrorListingTheKnownOnes() throws {
        let config = try decode(Self.twoHosts)
        let error = configError { _ = try HostScope.resolve(config, requested: "nas") }
        #expect(error?.code == .unknownHost)
        #expect(error?.message.contains("\"nas\"") == true)
        #expect(error?.message.contains("\"big\", \"pi\"") == true)
        #expect(try HostScope.resolve(Config(), requested: "nas") == nil)
    }

    @Test func aScopeKeepsItsUnitsAndItsSystem() throws {
        let config = try decode(Self.twoHosts)
        let all = try units(["db", "web", "dns", "media/plex"])
        let big = try #require(try HostScope.resolve(config, requested: "big"))
        #expect(big.units(all).ids == ["db", "media/plex", "web"])
        #expect(big.units(all).hasSystem)
        let pi = try #require(try HostScope.resolve(config, requested: "pi"))
        #expect(pi.units(all).ids == ["dns"])
        #expect(try pi.config(config).system.switch == ["nixos-rebuild", "switch", "--flake", "./nixos#pi"])
        var noSystem = config
        noSystem.hosts["pi"]?.system = nil
        #expect(!(try HostScope.resolve(noSystem, requested: "pi")!.units(all).hasSystem))
    }

    @Test func aFlakeAttributeReplacesTheSwitchsAttribute() {
        #expect(
            HostScope.withAttribute("pi", ["nixos-rebuild", "switch", "--flake", "./nixos#hl15"]) == [
                "nixos-rebuild", "switch", "--flake", "./nixos#pi",
            ]
        )
        #expect(
            HostScope.withAttribute("pi", ["nixos-rebuild", "switch", "--flake=.#hl15"]) == [
                "nixos-rebuild", "switch", "--flake=.#pi",
            ]
        )
        #expect(HostScope.withAttribute("pi", ["/bin/switch"]) == nil)
    }

    @Test func aFlakeAttributeWithoutAFlakeSwitchIsAnError() throws {
        var config = try decode(Self.twoHosts)
        config.system.switch = ["/bin/switch"]
        let pi = try #require(try HostScope.resolve(config, requested: "pi"))
        #expect(configError { _ = try pi.config(config) }?.keyPath == "hosts.pi.system")
    }

    @Test func aHostsEngineAppliesToItsUnits() throws {
        var config = try decode(Self.twoHosts)
        config.hosts["big"]?.engine = .swarm
        let big = try #require(try HostScope.resolve(config, requested: "big"))
        let scoped = try big.config(config, units: try units(["db", "web", "dns", "media/plex"]))
        #expect(scoped.units["web"]?.engine == .swarm)
        #expect(scoped.units["db"]?.engine == .swarm)
        #expect(scoped.units["media/plex"]?.engine == .swarm)
        #expect(scoped.units["dns"] == nil)
        #expect(scoped.units["web"]?.dependsOn == ["db"])
    }

    @Test func aUnitMovedHereIsAppliedThoughNoneOfItsFilesChanged() throws {
        let config = try decode(Self.twoHosts)
        let pi = try #require(try HostScope.resolve(config, requested: "pi"))
        let old = try units(["dns"])
        let new = try units(["dns", "web"])
        let impact = pi.assigned(Impact(), old: old, new: new)
        #expect(impact.units == ["web"])
        #expect(impact.reasons["web"] == ["reconciler.json"])
        #expect(pi.assigned(Impact(), old: nil, new: new).units.isEmpty)
    }
}
