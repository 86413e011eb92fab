import Foundation
import ReconcilerCore
import Testing

@Suite struct ConfigDecodingTests {
    @Test func contractExampleParses() throws {
        let config = try decode(contractExampleJSON)
        #expect(config.remote == "origin")
        #expect(config.branch == "main")
        #expect(config.pollInterval == .seconds(60))
        #expect(config.stateDir == "/var/lib/reconciler")
        #expect(config.system.root == "nixos")
        #expect(config.system.switch == ["nixos-rebuild", "switch", "--flake", "./nixos#homelab-hl15"])
        #expect(config.system.check == ["nixos-rebuild", "dry-build", "--flake", "./nixos#homelab-hl15"])
        #expect(config.services.root == "services")
        #expect(config.services.compose == ["docker", "compose"])
        #expect(config.services.healthTimeout == .seconds(120))
        #expect(config.services.parallelism == 4)
        #expect(config.units["prowlarr"] == UnitSettings(dependsOn: ["gluetun"]))
        #expect(config.units["sonarr/shows"]?.dependsOn == ["prowlarr", "tdarr", "profilarr"])
        #expect(config.units.count == 2)
        #expect(config.groups["media"]?.count == 6)
        #expect(
            config.webhook == WebhookConfig(listen: "127.0.0.1:9876", secretFile: "/var/lib/reconciler/webhook.secret")
        )
        #expect(config.notify == [NotifyTarget(url: "https://discord.com/api/webhooks/123/abc", format: .discord)])
        #expect(config.source == "reconciler.json")
    }

    @Test func contractExampleIsConsistentWithTheSeed() throws {
        let graph = try decode(contractExampleJSON).validate(units: seedUnits())
        #expect(graph.dependencies(of: "sonarr/shows") == ["prowlarr", "tdarr", "profilarr", "gluetun"])
        #expect(graph.units == Set(seedIDs))
    }

    @Test func emptyObjectGivesDefaults() throws {
        let config = try decode("{}")
        #expect(config == Config())
        #expect(config.remote == "origin")
        #expect(config.branch == "main")
        #expect(config.pollInterval == .seconds(60))
        #expect(config.fetchTimeout == .seconds(120))
        #expect(config.system.switch == ["nixos-rebuild", "switch", "--flake", "./nixos"])
        #expect(config.system.check == nil)
        #expect(config.services.root == "services")
        #expect(config.services.healthTimeout == .seconds(120))
        #expect(config.services.parallelism == 4)
        #expect(config.webhook == nil)
        #expect(config.notify.isEmpty)
        #expect(config.auth == AuthConfig())
    }

    @Test func sourceIsRecordedAndNamedInErrors() throws {
        #expect(try Config.decode(Data("{}".utf8), source: "/etc/reconciler.json").source == "/etc/reconciler.json")
        let error = configError { () throws(ConfigError) in
            try Config.decode(Data(#"{"x": 1}"#.utf8), source: "/etc/reconciler.json")
        }
        #expect(error?.description.hasPrefix("/etc/reconciler.json: x: unknown key") == true)
    }

    @Test func extensionsDecode() throws {
        let config = try decode(
            #"""
            {"fetchTimeout": "30s",
             "auth": {"sshKey": "/root/.ssh/id_ed25519", "knownHosts": "/root/.ssh/known_hosts",
                      "tokenFile": "/run/secrets/token", "tokenUser": "oauth2"},
             "units": {"plex": {"healthTimeout": "5m"}},
             "webhook": {},
             "notify": [{"url": "https://ntfy.sh/homelab", "format": "ntfy"}, {"url": "http://10.0.0.2/hook"}]}
            """#
        )
        #expect(config.fetchTimeout == .seconds(30))
        #expect(
            config.auth
                == AuthConfig(
                    sshKey: "/root/.ssh/id_ed25519",
                    knownHosts: "/root/.ssh/known_hosts",
                    tokenFile: "/run/secrets/token",
                    tokenUser: "oauth2"
                )
        )
        #expect(config.healthTimeout(for: "plex") == .seconds(300))
        #expect(config.healthTimeout(for: "gluetun") == .seconds(120))
        #expect(config.webhook == WebhookConfig(listen: "127.0.0.1:9876", secretFile: nil))
        #expect(config.notify.map(\.format) == [.ntfy, .generic])
    }

    @Test func nullMeansAbsentForOptionalKeys() throws {
        let config = try decode(#"{"webhook": null, "system": {"check": null}, "auth": {"sshKey": null}}"#)
        #expect(config.webhook == nil)
        #expect(config.system.check == nil)
        #expect(config.auth.sshKey == nil)
    }

    @Test func unknownKeysAreNamedAtEveryLevel() {
        let cases: [(json: String, description: String)] = [
            (
                #"{"remot": "x"}"#,
                "reconciler.json: remot: unknown key; known keys: remote, branch, pollInterval, fetchTimeout, "
                    + "stateDir, system, services, units, groups, webhook, notify, notifyFetchFailureAfter, auth, verify, allowRewrite, "
                    + "allowInsecureTransport, networks, hosts, sops, forge"
            ),
            (
                #"{"services": {"healthTimout": "90s"}}"#,
                "reconciler.json: services.healthTimout: unknown key; known keys: root, compose, healthTimeout, parallelism"
            ),
            (
                #"{"system": {"checks": []}}"#,
                "reconciler.json: system.checks: unknown key; "
                    + "known keys: root, switch, check, build, profile, confirm, confirmTimeout"
            ),
            (
                #"{"units": {"sonarr/shows": {"dependOn": ["plex"]}}}"#,
                "reconciler.json: units.sonarr/shows.dependOn: unknown key; known keys: dependsOn, healthTimeout, engine"
            ),
            (
                #"{"notify": [{"url": "https://a.example"}, {"url": "https://b.example", "fmt": "ntfy"}]}"#,
                "reconciler.json: notify[1].fmt: unknown key; known keys: url, urlFile, format, kind, events, command, secretFile, tokenFile"
            ),
            (
                #"{"webhook": {"secret": "hunter2"}}"#,
                "reconciler.json: webhook.secret: unknown key; known keys: listen, secretFile"
            ),
            (
                #"{"auth": {"password": "x"}}"#,
                "reconciler.json: auth.password: unknown key; known keys: sshKey, knownHosts, tokenFile, tokenUser"
            ),
        ]
        for (json, description) in cases {
            let error = configError { () throws(ConfigError) in try decode(json) }
            #expect(error?.code == .unknownKey, "\(json)")
            #expect(error?.description == description)
        }
    }

    @Test func wrongTypesNameTheKeyAndTheExpectedType() {
        let cases: [(json: String, keyPath: String?, message: String)] = [
            (
                #"{"services": {"parallelism": "4"}}"#, "services.parallelism",
                #"expected an integer, found a string ("4")"#
            ),
            (
                #"{"services": {"parallelism": 2.5}}"#, "services.parallelism",
                "expected an integer, found the number 2.5"
            ),
            (#"{"remote": 5}"#, "remote", "expected a string, found the number 5"),
            (#"{"branch": null}"#, "branch", "expected a string, found null"),
            (
                #"{"system": {"switch": "nixos-rebuild switch"}}"#, "system.switch",
                #"expected an array of strings (an argument vector, never a shell string), found a string ("nixos-rebuild switch")"#
            ),
            (
                #"{"services": {"compose": ["docker", 1]}}"#, "services.compose[1]",
                "expected a string, found the number 1"
            ),
            (
                #"{"units": {"prowlarr": {"dependsOn": "gluetun"}}}"#, "units.prowlarr.dependsOn",
                #"expected an array of unit ids, found a string ("gluetun")"#
            ),
            (#"{"units": []}"#, "units", "expected an object, found an array"),
            (
                #"{"groups": {"media": "plex"}}"#, "groups.media",
                #"expected an array of unit ids, found a string ("plex")"#
            ),
            (#"{"notify": {"url": "https://x"}}"#, "notify", "expected an array of objects, found an object"),
            (#"{"webhook": true}"#, "webhook", "expected an object, found true"),
            (#"[1, 2]"#, nil, "expected a JSON object ({ … }) at the top level, found an array"),
        ]
        for (json, keyPath, message) in cases {
            let error = configError { () throws(ConfigError) in try decode(json) }
            #expect(error?.keyPath == keyPath, "\(json)")
            #expect(error?.message == message, "\(json)")
        }
    }

    @Test func durationGivenAsANumberSuggestsTheString() {
        let error = configError { () throws(ConfigError) in try decode(#"{"pollInterval": 60}"#) }
        #expect(error?.code == .wrongType)
        #expect(error?.keyPath == "pollInterval")
        #expect(error?.message.contains(#"such as "60s""#) == true)
    }

    @Test func invalidJSONNamesTheFileAndPosition() {
        let json = "{\n  \"remote\": \"origin\",\n  \"branch\": ,\n}"
        let error = configError { () throws(ConfigError) in try decode(json) }
        #expect(error?.code == .invalidJSON)
        #expect(error?.keyPath == nil)
        #expect(error?.description.hasPrefix("reconciler.json: not valid JSON at line 3, column 13") == true)
        let truncated = configError { () throws(ConfigError) in try decode(#"{"remote": "origin""#) }
        #expect(truncated?.description.hasPrefix("reconciler.json: not valid JSON") == true)
    }

    @Test func invalidValuesAreRejected() {
        let cases: [(json: String, keyPath: String, fragment: String)] = [
            (#"{"services": {"parallelism": 0}}"#, "services.parallelism", "must be at least 1, found 0"),
            (#"{"services": {"compose": []}}"#, "services.compose", "cannot be empty"),
            (#"{"system": {"switch": []}}"#, "system.switch", "cannot be empty"),
            (#"{"system": {"switch": ["", "switch"]}}"#, "system.switch[0]", "the program cannot be empty"),
            (#"{"system": {"check": []}}"#, "system.check", "cannot be empty"),
            (#"{"services": {"root": "../elsewhere"}}"#, "services.root", #"cannot contain "..""#),
            (#"{"services": {"root": "stacks/../../x"}}"#, "services.root", #"cannot contain "..""#),
            (#"{"services": {"root": "/srv/stacks"}}"#, "services.root", "not absolute"),
            (#"{"system": {"root": "."}}"#, "system.root", "not its root"),
            (#"{"services": {"root": ""}}"#, "services.root", "not its root"),
            (#"{"services": {"root": "nixos"}}"#, "services.root", #"overlaps system.root "nixos""#),
            (#"{"services": {"root": "nixos/stacks"}}"#, "services.root", "overlaps system.root"),
            (#"{"pollInterval": "0s"}"#, "pollInterval", "must be longer than zero"),
            (
                #"{"services": {"healthTimeout": "2 minutes"}}"#, "services.healthTimeout",
                #"invalid duration "2 minutes"; use a number and a unit (h, m, s, ms), largest unit first: 500ms, 90s, 5m, 1h, 1h30m"#
            ),
            (
                #"{"units": {"plex": {"healthTimeout": "5min"}}}"#, "units.plex.healthTimeout",
                #"invalid duration "5min""#
            ),
            (#"{"remote": ""}"#, "remote", "cannot be empty"),
            (#"{"branch": "my branch"}"#, "branch", "cannot contain whitespace"),
            (#"{"notify": [{"format": "discord"}]}"#, "notify[0].url", "missing"),
            (#"{"notify": [{"url": "discord.com/api"}]}"#, "notify[0].url", "expected an http:// or https:// URL"),
            (
                #"{"notify": [{"url": "https://x.example", "format": "slack"}]}"#, "notify[0].format",
                #"unknown format "slack"; accepted: generic, discord, ntfy"#
            ),
            (#"{"webhook": {"listen": "9876"}}"#, "webhook.listen", "expected host:port"),
            (#"{"webhook": {"listen": "0.0.0.0:99999"}}"#, "webhook.listen", "expected host:port"),
            (#"{"units": {"a/b/c": {}}}"#, "units.a/b/c", "one or two path segments"),
            (#"{"units": {"../etc": {}}}"#, "units.../etc", #"cannot contain "..""#),
            (#"{"units": {"plex/": {}}}"#, "units.plex/", "empty segment"),
            (#"{"units": {"plex": {"dependsOn": [""]}}}"#, "units.plex.dependsOn[0]", "cannot be empty"),
            (#"{"groups": {"media": ["plex", "bad\u0007id"]}}"#, "groups.media[1]", "control character"),
            (#"{"groups": {"": ["plex"]}}"#, "groups", "a group name cannot be empty"),
        ]
        for (json, keyPath, fragment) in cases {
            let error = configError { () throws(ConfigError) in try decode(json) }
            #expect(error?.keyPath == keyPath, "\(json)")
            #expect(error?.message.contains(fragment) == true, "\(json): \(error?.message ?? "no error")")
        }
    }

    @Test func rootsAreNormalised() throws {
        let config = try decode(#"{"services": {"root": "./stacks/"}, "system": {"root": "infra//nixos"}}"#)
        #expect(config.services.root == "stacks")
        #expect(config.system.root == "infra/nixos")
    }

    @Test func duplicateDependenciesAreDropped() throws {
        let config = try decode(#"{"units": {"plex": {"dependsOn": ["tdarr", "gluetun", "tdarr"]}}}"#)
        #expect(config.units["plex"]?.dependsOn == ["tdarr", "gluetun"])
    }
}

@Suite struct ConfigDurationTests {
    @Test func parsesAcceptedForms() {
        let cases: [(String, Duration)] = [
            ("500ms", .milliseconds(500)), ("90s", .seconds(90)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
            ("1h30m", .seconds(5400)), ("2m30s", .seconds(150)), ("1s500ms", .milliseconds(1500)),
            ("1.5s", .milliseconds(1500)), ("0.25ms", .microseconds(250)), ("1.5h", .seconds(5400)),
            ("0s", .zero), ("1h0m5s", .seconds(3605)),
        ]
        for (text, expected) in cases {
            #expect(ConfigDuration.parse(text) == expected, "\(text)")
        }
    }

    @Test func rejectsEverythingElse() {
        for text in [
            "", "5", "s", "5 m", " 5m", "5m ", "1m1h", "1s1s", "1.s", ".5s", "-5s", "+5s", "1d", "5mm", "5M",
            "1e3s", "1,5s", "10000000000s", "1h30", "٣s",
        ] {
            #expect(ConfigDuration.parse(text) == nil, "\(text)")
        }
    }

    @Test func formatsShortestForm() {
        let cases: [(Duration, String)] = [
            (.seconds(120), "2m"), (.seconds(90), "90s"), (.milliseconds(1500), "1.5s"), (.milliseconds(500), "500ms"),
            (.seconds(3600), "1h"), (.seconds(5400), "1h30m"), (.seconds(7200), "2h"), (.zero, "0s"),
            (.microseconds(250), "0.25ms"), (.seconds(3605), "3605s"), (.milliseconds(60_250), "60.25s"),
            (.seconds(-90), "-90s"),
        ]
        for (duration, expected) in cases {
            #expect(ConfigDuration.format(duration) == expected)
        }
    }

    @Test func formatReadsBack() {
        let durations: [Duration] = [
            .seconds(1), .seconds(59), .seconds(61), .seconds(86_400), .milliseconds(1), .milliseconds(1001),
            .microseconds(1), .seconds(5400), .milliseconds(123_456),
        ]
        for duration in durations {
            #expect(ConfigDuration.parse(ConfigDuration.format(duration)) == duration, "\(duration)")
        }
    }
}

@Suite struct ConfigValidationTests {
    @Test func unknownDependencyIsNamedWithCloseMatchesAndTheKnownUnits() throws {
        let config = try decode(#"{"units": {"sonarr/shows": {"dependsOn": ["prowlar"]}}}"#)
        let units = try seedUnits()
        let error = configError { () throws(ConfigError) in try config.validate(units: units) }
        #expect(error?.code == .unknownUnit)
        #expect(
            error?.description
                == #"reconciler.json: units.sonarr/shows.dependsOn: unknown unit "prowlar" (did you mean "prowlarr"?); "#
                + "units under services/: " + seedIDs.joined(separator: ", ")
        )
    }

    @Test func unknownUnitKeyIsNamed() throws {
        let config = try decode(#"{"units": {"sonar/shows": {"healthTimeout": "5m"}}}"#)
        let units = try seedUnits()
        let error = configError { () throws(ConfigError) in try config.validate(units: units) }
        #expect(error?.keyPath == "units.sonar/shows")
        #expect(error?.message.hasPrefix(#"unknown unit "sonar/shows" (did you mean "sonarr/shows"?)"#) == true)
    }

    @Test func serviceNameSuggestsItsInstances() throws {
        let config = try decode(#"{"units": {"overseerr": {"dependsOn": ["sonarr"]}}}"#)
        let units = try seedUnits()
        let error = configError { () throws(ConfigError) in try config.validate(units: units) }
        #expect(
            error?.message.hasPrefix(#"unknown unit "sonarr" (did you mean "sonarr/anime" or "sonarr/shows"?)"#) == true
        )
    }

    @Test func unknownGroupMemberIsNamed() throws {
        let config = try decode(#"{"groups": {"infra": ["gluetun"], "media": ["plex", "radar/movies"]}}"#)
        let units = try seedUnits()
        let error = configError { () throws(ConfigError) in try config.validate(units: units) }
        #expect(error?.code == .unknownUnit)
        #expect(error?.keyPath == "groups.media[1]")
        #expect(error?.message.hasPrefix(#"unknown unit "radar/movies" (did you mean "radarr/movies"?)"#) == true)
    }

    @Test func unknownUnitWithoutCloseMatchListsTheKnownUnits() throws {
        let config = try decode(#"{"groups": {"media": ["jellyfin"]}}"#)
        let units = try discover(files(["stacks/plex/compose.yml", "stacks/AI/compose.yml"]), servicesRoot: "stacks")
        var rooted = config
        rooted.services.root = "stacks"
        let error = configError { () throws(ConfigError) in try rooted.validate(units: units) }
        #expect(error?.message == #"unknown unit "jellyfin"; units under stacks/: AI, plex"#)
    }

    @Test func cycleIsPrintedFromItsSmallestUnit() throws {
        let config = try decode(
            #"""
            {"units": {"plex": {"dependsOn": ["tdarr"]}, "tdarr": {"dependsOn": ["deluge"]},
                       "deluge": {"dependsOn": ["gluetun"]}, "gluetun": {"dependsOn": ["plex"]},
                       "prowlarr": {"dependsOn": ["gluetun"]}}}
            """#
        )
        let units = try seedUnits()
        let error = configError { () throws(ConfigError) in try config.validate(units: units) }
        #expect(error?.code == .dependencyCycle)
        #expect(
            error?.description
                == "reconciler.json: units.deluge.dependsOn: dependency cycle: deluge → gluetun → plex → tdarr → deluge; "
                + "remove one of these dependsOn entries"
        )
    }

    @Test func selfDependencyIsRefused() throws {
        let config = try decode(#"{"units": {"plex": {"dependsOn": ["tdarr", "plex"]}}}"#)
        let units = try seedUnits()
        let error = configError { () throws(ConfigError) in try config.validate(units: units) }
        #expect(error?.code == .selfDependency)
        #expect(error?.keyPath == "units.plex.dependsOn")
    }

    @Test func emptyGroupNameBuiltInCodeIsRefused() throws {
        var config = Config()
        config.groups[""] = ["plex"]
        let units = try seedUnits()
        let error = configError { () throws(ConfigError) in try config.validate(units: units) }
        #expect(error?.keyPath == "groups")
        #expect(error?.message == "a group name cannot be empty")
    }
}
