import Foundation
import ReconcilerCore
import Testing

/// A notification's host-only parts (`command`, `tokenFile`, `urlFile`), its `urlFile`, and the URL checks at load.
@Suite struct NotifyConfigTests {
    private func resolve(repo: String?, host: String?) throws(ConfigError) -> Config {
        try Config.resolve(
            repoFile: repo.map { Data($0.utf8) },
            repoSource: "reconciler.json at 1a2b3c4d5e6f",
            hostFile: host.map { Data($0.utf8) },
            hostSource: "/etc/reconciler/config.json"
        )
    }

    private static let hostOnlyEntries = [
        "command": #"{"kind": "command", "command": ["/bin/sh", "-c", "id"]}"#,
        "tokenFile": #"{"kind": "ntfy", "url": "https://ntfy.example/t", "tokenFile": "/root/.ssh/id_ed25519"}"#,
        "urlFile": #"{"kind": "discord", "urlFile": "/etc/reconciler/discord.url"}"#,
    ]

    @Test(arguments: Config.hostOnlyNotifyKeys)
    func aCommitSettingAHostOnlyNotifyPartIsRefusedNamingIt(key: String) throws {
        let entry = try #require(Self.hostOnlyEntries[key])
        let repo = #"{"notify": [{"kind": "ntfy", "url": "https://ntfy.example/ok"}, \#(entry)]}"#
        let error = configError { () throws(ConfigError) in try resolve(repo: repo, host: nil) }
        #expect(error?.code == .hostOnlyKey)
        #expect(error?.keyPath == "notify[1].\(key)")
        #expect(error?.source == "reconciler.json at 1a2b3c4d5e6f")
        #expect(error?.description.contains("may only be set in the host's configuration file") == true)
        // With a host file that has its own notify too: the commit's file is still refused.
        let withHost = configError { () throws(ConfigError) in
            try resolve(repo: repo, host: #"{"notify": []}"#)
        }
        #expect(withHost?.keyPath == "notify[1].\(key)")
    }

    @Test func theHostFileSetsEveryHostOnlyNotifyPart() throws {
        let host =
            "{\"notify\": [\(Config.hostOnlyNotifyKeys.map { Self.hostOnlyEntries[$0]! }.joined(separator: ", "))]}"
        let config = try resolve(repo: #"{"notify": [{"kind": "ntfy", "url": "https://ntfy.example/x"}]}"#, host: host)
        #expect(config.notify.map(\.kind) == [.command, .ntfy, .discord])
        #expect(config.notify[0].command == ["/bin/sh", "-c", "id"])
        #expect(config.notify[1].tokenFile == "/root/.ssh/id_ed25519")
        #expect(config.notify[2].urlFile == "/etc/reconciler/discord.url")
        #expect(config.notify[2].url == "")
        // A commit's notify without them still works.
        let repoOnly = try resolve(repo: #"{"notify": [{"kind": "ntfy", "url": "https://ntfy.example/x"}]}"#, host: nil)
        #expect(repoOnly.notify == [NotifyTarget(kind: .ntfy, url: "https://ntfy.example/x")])
    }

    @Test func exactlyOneOfURLAndURLFile() {
        let both = configError { () throws(ConfigError) in
            try decode(#"{"notify": [{"kind": "ntfy", "url": "https://a.example/x", "urlFile": "/etc/u"}]}"#)
        }
        #expect(both?.keyPath == "notify[0].urlFile")
        #expect(both?.description.contains("set url or urlFile, not both") == true)
        let neither = configError { () throws(ConfigError) in try decode(#"{"notify": [{"kind": "ntfy"}]}"#) }
        #expect(neither?.keyPath == "notify[0].url")
        #expect(neither?.description.contains("urlFile") == true)
        let relative = configError { () throws(ConfigError) in
            try decode(#"{"notify": [{"kind": "ntfy", "urlFile": "secrets/ntfy.url"}]}"#)
        }
        #expect(relative?.keyPath == "notify[0].urlFile")
        #expect(relative?.description.contains("absolute path") == true)
    }

    /// A control character, written as is or percent-encoded, is refused when the file loads, naming the entry;
    /// the URL is not quoted (it may carry a token).
    @Test func aURLWithAControlCharacterIsRefusedAtLoad() throws {
        let cases: [(String, String)] = [
            (#"http://127.0.0.1:9/hook%0d%0aX-Injected:%20yes"#, "%0d"),
            (#"http://127.0.0.1:9/hook?x=%0A"#, "%0A"),
            (#"https://ntfy.example/t%7f"#, "%7f"),
            (#"https://ntfy.example/t\u0009tab"#, "control character"),
            (#"https://ntfy.example/a b"#, "space"),
        ]
        for (url, named) in cases {
            let json =
                #"{"notify": [{"kind": "ntfy", "url": "https://fine.example/x"}, {"kind": "webhook", "url": "\#(url)"}]}"#
            let error = configError { () throws(ConfigError) in try decode(json) }
            #expect(error?.code == .invalidValue, "\(url)")
            #expect(error?.keyPath == "notify[1].url", "\(url)")
            #expect(error?.description.contains(named) == true, "\(url): \(error.map { "\($0)" } ?? "")")
            #expect(error?.description.contains("X-Injected") != true)
        }
        // Encoded characters that are not control characters are fine.
        let fine = try decode(#"{"notify": [{"kind": "webhook", "url": "http://127.0.0.1:9/a%20b/%2F?q=%26%3D"}]}"#)
        #expect(fine.notify[0].url == "http://127.0.0.1:9/a%20b/%2F?q=%26%3D")
    }
}
