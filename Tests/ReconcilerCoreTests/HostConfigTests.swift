import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

/// The host's file overrides the repository's reconciler.json key by key, and alone may set the host-only keys.
@Suite struct HostConfigTests {
    private func data(_ json: String) -> Data { Data(json.utf8) }

    private func resolve(repo: String?, host: String?) throws(ConfigError) -> Config {
        try Config.resolve(
            repoFile: repo.map(data),
            repoSource: "reconciler.json at 1a2b3c4d5e6f",
            hostFile: host.map(data),
            hostSource: "/etc/reconciler/config.json"
        )
    }

    @Test func hostOverridesKeyByKeyAtEveryDepth() throws {
        let config = try resolve(
            repo: #"""
                {"branch": "main", "services": {"root": "stacks", "compose": ["docker", "compose"], "parallelism": 2},
                 "units": {"plex": {"healthTimeout": "5m"}}, "system": {"switch": ["evil", "--now"]},
                 "notify": [{"url": "https://a.example"}]}
                """#,
            host: #"""
                {"branch": "production", "services": {"compose": ["sudo", "-n", "docker", "compose"]},
                 "system": {"switch": ["nixos-rebuild", "switch", "--flake", "./nixos#hl15"]},
                 "notify": [{"url": "https://b.example", "format": "ntfy"}],
                 "stateDir": "/srv/reconciler", "allowRewrite": true,
                 "auth": {"sshKey": "/etc/reconciler/deploy_key"},
                 "verify": {"mode": "head", "allowedSigners": "/etc/reconciler/allowed_signers"}}
                """#
        )
        #expect(config.branch == "production")
        #expect(config.services.root == "stacks")
        #expect(config.services.parallelism == 2)
        #expect(config.services.compose == ["sudo", "-n", "docker", "compose"])
        #expect(config.system.switch == ["nixos-rebuild", "switch", "--flake", "./nixos#hl15"])
        #expect(config.units["plex"]?.healthTimeout == .seconds(300))
        #expect(config.notify == [NotifyTarget(url: "https://b.example", format: .ntfy)])
        #expect(config.stateDir == "/srv/reconciler")
        #expect(config.allowRewrite)
        #expect(!config.allowInsecureTransport)
        #expect(config.auth.sshKey == "/etc/reconciler/deploy_key")
        #expect(config.verify == VerifyConfig(mode: .head, allowedSigners: "/etc/reconciler/allowed_signers"))
        #expect(config.source == "reconciler.json at 1a2b3c4d5e6f + /etc/reconciler/config.json")
    }

    @Test func eitherFileAloneOrNeitherWorks() throws {
        #expect(
            try resolve(repo: nil, host: nil)
                == {
                    var c = Config()
                    c.source = "reconciler.json"
                    return c
                }()
        )
        #expect(try resolve(repo: nil, host: #"{"remote": "/srv/git/h.git"}"#).remote == "/srv/git/h.git")
        #expect(try resolve(repo: #"{"branch": "x"}"#, host: nil).branch == "x")
    }

    @Test(arguments: Config.hostOnlyKeys)
    func aCommitSettingAHostOnlyKeyIsRefusedNamingIt(key: String) {
        let values = [
            "stateDir": #""/tmp/elsewhere""#, "auth": #"{"sshKey": "/root/.ssh/id_ed25519"}"#,
            "verify": #"{"mode": "off"}"#, "allowRewrite": "true", "allowInsecureTransport": "true",
            "sops": #"{"ageKeyFile": "/var/lib/reconciler/age.key"}"#,
            "forge": #"{"kind": "github", "repository": "o/r", "tokenFile": "/t"}"#,
        ]
        let error = configError { () throws(ConfigError) in
            try resolve(repo: #"{"branch": "main", "\#(key)": \#(values[key]!)}"#, host: #"{"branch": "main"}"#)
        }
        #expect(error?.code == .hostOnlyKey)
        #expect(error?.keyPath == key)
        #expect(
            error?.description
                == "reconciler.json at 1a2b3c4d5e6f: \(key): may only be set in the host's configuration file "
                + "(--config FILE or /etc/reconciler/config.json), never by a commit; move it there and remove it "
                + "from the repository"
        )
    }

    @Test func duplicateKeysAreAnErrorNamingTheKey() {
        let cases: [(String, String)] = [
            (#"{"branch": "main", "branch": "evil"}"#, "branch"),
            (#"{"services": {"root": "a", "compose": ["x"], "root": "b"}}"#, "services.root"),
            (#"{"notify": [{"url": "https://a"}, {"url": "https://b", "url": "https://c"}]}"#, "notify[1].url"),
            (#"{"units": {"plex": {}, "pl\u0065x": {}}}"#, "units.plex"),
        ]
        for (json, keyPath) in cases {
            let error = configError { () throws(ConfigError) in try resolve(repo: json, host: nil) }
            #expect(error?.code == .duplicateKey, "\(json)")
            #expect(error?.keyPath == keyPath, "\(json)")
            #expect(error?.description.contains("appears twice in the same object") == true)
            // The strict decoder refuses it too, whatever calls it.
            #expect(configError { () throws(ConfigError) in try decode(json) }?.code == .duplicateKey)
        }
        let host = configError { () throws(ConfigError) in
            try resolve(repo: nil, host: #"{"allowRewrite": false, "allowRewrite": true}"#)
        }
        #expect(host?.description.hasPrefix("/etc/reconciler/config.json: allowRewrite: appears twice") == true)
    }

    @Test func durationsAreAtMostADay() throws {
        #expect(try decode(#"{"pollInterval": "24h"}"#).pollInterval == .seconds(86400))
        let error = configError { () throws(ConfigError) in try decode(#"{"services": {"healthTimeout": "25h"}}"#) }
        #expect(
            error?.description
                == "reconciler.json: services.healthTimeout: \"25h\" is longer than the most allowed, 24h"
        )
        #expect(configError { () throws(ConfigError) in try decode(#"{"fetchTimeout": "1441m"}"#) } != nil)
    }

    @Test func verifyIsCheckedStrictly() {
        let cases: [(String, String)] = [
            (#"{"verify": {"mode": "all"}}"#, #"verify.mode: unknown mode "all"; accepted: "head", "off""#),
            (
                #"{"verify": {"mode": "head"}}"#,
                #"verify: mode "head" needs allowedSigners (SSH signatures), gpgKeyring (GPG signatures) or both"#
            ),
            (
                #"{"verify": {"allowedSigners": "signers"}}"#,
                #"verify.allowedSigners: "signers" must be an absolute path"#
            ),
            (#"{"verify": {"keys": []}}"#, "verify.keys: unknown key; known keys: mode, allowedSigners, gpgKeyring"),
            (#"{"allowRewrite": "yes"}"#, #"allowRewrite: expected true or false, found a string ("yes")"#),
        ]
        for (json, message) in cases {
            let error = configError { () throws(ConfigError) in try resolve(repo: nil, host: json) }
            #expect(error?.description == "/etc/reconciler/config.json: \(message)", "\(json)")
        }
    }

    @Test func anErrorNamesTheFileThatHasIt() {
        let error = configError { () throws(ConfigError) in
            try resolve(repo: #"{"services": {"parallelism": 0}}"#, host: #"{"branch": "main"}"#)
        }
        #expect(error?.source == "reconciler.json at 1a2b3c4d5e6f")
        let hostError = configError { () throws(ConfigError) in
            try resolve(repo: #"{"branch": "main"}"#, host: #"{"services": {"parallelism": 0}}"#)
        }
        #expect(hostError?.source == "/etc/reconciler/config.json")
    }

    @Test func theHostFileIsTheExplicitOneElseTheDefaultWhenItExists() throws {
        let directory = try TemporaryDirectory(prefix: "host-config")
        defer { directory.remove() }
        let defaultPath = directory.appending("config.json")
        #expect(Config.hostFilePath(explicit: nil, defaultPath: defaultPath) == nil)
        #expect(Config.hostFilePath(explicit: "/x/y.json", defaultPath: defaultPath) == "/x/y.json")
        try Data(#"{"branch": "prod"}"#.utf8).write(to: URL(fileURLWithPath: defaultPath))
        #expect(Config.hostFilePath(explicit: nil, defaultPath: defaultPath) == defaultPath)
        #expect(Config.hostFilePath(explicit: "/x/y.json", defaultPath: defaultPath) == "/x/y.json")
        let hostData = try Config.readHostFile(defaultPath)
        #expect(try Config.resolve(repoFile: nil, hostFile: hostData, hostSource: defaultPath).branch == "prod")
        let missing = configError { () throws(ConfigError) in try Config.readHostFile(directory.appending("none")) }
        #expect(missing?.description.contains("cannot read the host configuration file") == true)
    }
}

/// `http://` and `git://` remotes are refused unless allowed; a token never goes over plain http.
@Suite struct TransportTests {
    private func config(_ json: String) throws(ConfigError) -> Config {
        try Config.resolve(repoFile: nil, hostFile: Data(json.utf8), hostSource: "host.json")
    }

    @Test(arguments: [
        "http://git.lan/homelab.git", "git://git.lan/homelab.git", "HTTP://git.lan/homelab.git",
    ])
    func plainTransportIsAConfigurationError(url: String) throws {
        let error = configError { () throws(ConfigError) in try config("{}").checkTransport(url: url) }
        #expect(error?.code == .insecureTransport)
        #expect(error?.keyPath == "remote")
        #expect(error?.description.contains("allowInsecureTransport") == true)
        #expect(throws: Never.self) { try config(#"{"allowInsecureTransport": true}"#).checkTransport(url: url) }
    }

    @Test(arguments: [
        "https://git.example/homelab.git", "ssh://git@git.example/homelab.git", "git@git.example:homelab.git",
        "/srv/git/homelab.git", "file:///srv/git/homelab.git",
    ])
    func secureTransportsPass(url: String) throws {
        #expect(throws: Never.self) {
            try config(#"{"auth": {"tokenFile": "/etc/reconciler/token"}}"#).checkTransport(url: url)
        }
    }

    @Test func aTokenWithPlainHTTPIsRefusedEvenWhenInsecureIsAllowed() throws {
        let insecure = try config(#"{"allowInsecureTransport": true, "auth": {"tokenFile": "/etc/reconciler/t"}}"#)
        let error = configError { () throws(ConfigError) in
            try insecure.checkTransport(url: "http://deploy:hunter2pass@git.lan/h.git")
        }
        #expect(error?.code == .insecureTransport)
        #expect(error?.description.contains("a token is never sent over plain http") == true)
        #expect(error?.description.contains("hunter2pass") == false)
    }

    @Test func theMessageNeverShowsTheURLPassword() throws {
        let error = configError { () throws(ConfigError) in
            try config("{}").checkTransport(url: "http://deploy:hunter2pass@git.lan/h.git")
        }
        #expect(error?.description.contains("hunter2pass") == false)
        #expect(error?.description.contains("git.lan/h.git") == true)
    }
}
