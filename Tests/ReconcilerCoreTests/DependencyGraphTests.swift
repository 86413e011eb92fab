import ReconcilerCore
import Testing

/// The seed Justfile's `ensure-` graph.
let justfileDependencies: [String: [String]] = [
    "prowlarr": ["gluetun"], "deluge": ["gluetun"], "tdarr": ["deluge"], "profilarr": ["prowlarr"],
    "sonarr/shows": ["prowlarr", "tdarr", "profilarr"], "sonarr/anime": ["prowlarr", "tdarr", "profilarr"],
    "radarr/movies": ["prowlarr", "tdarr", "profilarr"], "radarr/anime": ["prowlarr", "tdarr", "profilarr"],
    "overseerr": ["sonarr/shows", "sonarr/anime", "radarr/movies", "radarr/anime"], "plex": ["tdarr"],
    "loki": ["alloy"], "prometheus": ["alloy"], "grafana": ["loki", "prometheus"],
]
let justfileUnits: Set<String> = Set(justfileDependencies.keys).union([
    "gluetun", "pihole", "alloy", "homepage", "immich", "nextcloud",
])

@Suite struct DependencyGraphTests {
    let graph: DependencyGraph

    init() throws {
        graph = try DependencyGraph(units: justfileUnits, dependsOn: justfileDependencies)
    }

    @Test func wavesOfTheWholeHomelab() {
        #expect(
            graph.waves(justfileUnits) == [
                ["alloy", "gluetun", "homepage", "immich", "nextcloud", "pihole"],
                ["deluge", "loki", "prometheus", "prowlarr"],
                ["grafana", "profilarr", "tdarr"],
                ["plex", "radarr/anime", "radarr/movies", "sonarr/anime", "sonarr/shows"],
                ["overseerr"],
            ]
        )
    }

    @Test func closureAddsEverythingNeeded() {
        #expect(graph.closure(["plex"]) == ["plex", "tdarr", "deluge", "gluetun"])
        #expect(graph.waves(graph.closure(["plex"])) == [["gluetun"], ["deluge"], ["tdarr"], ["plex"]])
        #expect(
            graph.closure(["overseerr"]) == [
                "overseerr", "sonarr/shows", "sonarr/anime", "radarr/movies", "radarr/anime", "prowlarr", "tdarr",
                "profilarr", "deluge", "gluetun",
            ]
        )
        #expect(graph.closure(["grafana", "pihole"]) == ["grafana", "loki", "prometheus", "alloy", "pihole"])
        #expect(graph.closure([]) == [])
    }

    @Test func wavesOfASubsetKeepTransitiveOrder() {
        // plex needs gluetun through deluge and tdarr, which are not in the set: gluetun still comes first.
        #expect(graph.waves(["plex", "gluetun"]) == [["gluetun"], ["plex"]])
        #expect(graph.waves(["sonarr/shows", "plex", "homepage"]) == [["homepage", "plex", "sonarr/shows"]])
        #expect(graph.waves([]) == [])
    }

    @Test func dependenciesAndDependents() {
        #expect(graph.dependencies(of: "plex") == ["tdarr", "deluge", "gluetun"])
        #expect(graph.dependencies(of: "gluetun") == [])
        #expect(graph.directDependencies(of: "sonarr/shows") == ["prowlarr", "tdarr", "profilarr"])
        #expect(
            graph.dependents(of: "tdarr") == [
                "plex", "sonarr/shows", "sonarr/anime", "radarr/movies", "radarr/anime", "overseerr",
            ]
        )
        #expect(graph.dependents(of: "gluetun").count == 10)
        #expect(graph.dependents(of: "overseerr") == [])
        #expect(graph.dependents(of: "alloy") == ["loki", "prometheus", "grafana"])
    }

    @Test func cycleMessageIsDeterministic() {
        var dependencies = justfileDependencies
        dependencies["gluetun"] = ["overseerr"]
        for _ in 0..<20 {
            do {
                _ = try DependencyGraph(units: justfileUnits, dependsOn: dependencies)
                Issue.record("cycle accepted")
            } catch {
                #expect(error.code == .dependencyCycle)
                #expect(error.keyPath == "units.gluetun.dependsOn")
                #expect(
                    error.message
                        == "dependency cycle: gluetun → overseerr → radarr/anime → profilarr → prowlarr → gluetun; "
                        + "remove one of these dependsOn entries"
                )
            }
        }
    }

    @Test func twoUnitCycle() {
        #expect(throws: ConfigError.self) {
            try DependencyGraph(units: ["a", "b"], dependsOn: ["b": ["a"], "a": ["b"]])
        }
        do {
            _ = try DependencyGraph(units: ["a", "b"], dependsOn: ["b": ["a"], "a": ["b"]])
        } catch {
            #expect(error.message.hasPrefix("dependency cycle: a → b → a;"))
        }
    }

    @Test func selfAndUnknownDependenciesAreRefused() {
        do {
            _ = try DependencyGraph(units: ["a"], dependsOn: ["a": ["a"]])
            Issue.record("self dependency accepted")
        } catch {
            #expect(error.code == .selfDependency)
            #expect(
                error.description
                    == #"reconciler.json: units.a.dependsOn: "a" depends on itself; remove it from its own dependsOn"#
            )
        }
        do {
            _ = try DependencyGraph(units: ["plex", "tdarr"], dependsOn: ["plex": ["tdar"]])
            Issue.record("unknown dependency accepted")
        } catch {
            #expect(error.code == .unknownUnit)
            #expect(
                error.description
                    == #"reconciler.json: units.plex.dependsOn: unknown unit "tdar" (did you mean "tdarr"?); known units: plex, tdarr"#
            )
        }
        do {
            _ = try DependencyGraph(units: ["plex"], dependsOn: ["jellyfin": []], source: "/etc/r.json")
            Issue.record("unknown unit accepted")
        } catch {
            #expect(error.description.hasPrefix(#"/etc/r.json: units.jellyfin: unknown unit "jellyfin""#))
        }
    }
}
