import Foundation
import ReconcilerTesting
import Testing

@testable import Git

@Suite struct KnownHostsTests {
    private let key = Self.blob("ssh-ed25519", [1, 2, 3])
    private let other = Self.blob("ssh-ed25519", [9, 9, 9])
    private let rsa = Self.blob("ssh-rsa", [4, 5, 6])

    static func blob(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let t = Array(type.utf8)
        return [0, 0, 0, UInt8(t.count)] + t + body
    }

    private func line(_ hosts: String, _ blob: [UInt8]) -> String {
        "\(hosts) \(KnownHosts.keyType(ofBlob: blob)) \(Data(blob).base64EncodedString())"
    }

    @Test func plainPortAndWildcardEntries() {
        let file = KnownHosts(
            contents: """
                # comment

                github.com,140.82.121.4 \(line("x", key).split(separator: " ").dropFirst().joined(separator: " "))
                \(line("[git.home.lan]:2222", key))
                \(line("*.example.org,!bad.example.org", key))
                @cert-authority *.corp \(line("x", other).split(separator: " ").dropFirst().joined(separator: " "))
                garbage line
                """
        )
        #expect(file.verify(host: "github.com", port: 22, key: key) == .match)
        #expect(file.verify(host: "GitHub.com", port: 22, key: key) == .match)
        #expect(file.verify(host: "github.com", port: 2222, key: key) == .unknown)
        #expect(file.verify(host: "git.home.lan", port: 2222, key: key) == .match)
        #expect(file.verify(host: "git.home.lan", port: 22, key: key) == .unknown)
        #expect(file.verify(host: "a.example.org", port: 22, key: key) == .match)
        #expect(file.verify(host: "bad.example.org", port: 22, key: key) == .unknown)
        #expect(file.verify(host: "x.corp", port: 22, key: other) == .unknown)
    }

    @Test func changedOtherTypeAndRevoked() {
        let file = KnownHosts(
            contents: """
                \(line("host-a", key))
                \(line("host-b", rsa))
                \(line("host-c", key))
                @revoked \(line("host-c", key))
                """
        )
        #expect(file.verify(host: "host-a", port: 22, key: other) == .changed)
        #expect(file.verify(host: "host-b", port: 22, key: key) == .otherTypes(["ssh-rsa"]))
        #expect(file.verify(host: "host-c", port: 22, key: key) == .revoked)
    }

    @Test func hashedEntries() throws {
        // Hashed the way OpenSSH hashes them: `ssh-keygen -H` turns plain entries into |1|salt|HMAC-SHA1(salt, name).
        let dir = try TemporaryDirectory(prefix: "known-hosts")
        defer { dir.remove() }
        let path = dir.appending("known_hosts")
        try "\(line("[127.0.0.1]:2222", key))\n\(line("gitea.lan", key))\n".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        try Command.check(["ssh-keygen", "-q", "-H", "-f", path])
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!contents.contains("gitea.lan") && contents.contains("|1|"))

        let file = KnownHosts(contents: contents)
        #expect(file.verify(host: "127.0.0.1", port: 2222, key: key) == .match)
        #expect(file.verify(host: "gitea.lan", port: 22, key: key) == .match)
        #expect(file.verify(host: "gitea.lan", port: 22, key: other) == .changed)
        #expect(file.verify(host: "other.lan", port: 22, key: key) == .unknown)
        #expect(file.verify(host: "127.0.0.1", port: 22, key: key) == .unknown)
    }
}

@Suite struct RemoteLocationTests {
    @Test func parsesTheURLForms() {
        let ssh = RemoteLocation("ssh://git@git.home.lan:2222/homelab.git")
        #expect(ssh.transport == .ssh && ssh.host == "git.home.lan" && ssh.port == 2222 && ssh.user == "git")
        let scp = RemoteLocation("git@github.com:me/homelab.git")
        #expect(scp.transport == .ssh && scp.host == "github.com" && scp.port == 22 && scp.user == "git")
        let https = RemoteLocation("https://oauth2:secret@gitlab.com/me/homelab.git")
        #expect(https.transport == .https && https.host == "gitlab.com" && https.port == 443)
        #expect(!https.display.contains("secret"))
        #expect(https.display == "https://oauth2@gitlab.com/me/homelab.git")
        let v6 = RemoteLocation("ssh://[::1]:2200/x")
        #expect(v6.host == "::1" && v6.port == 2200)
        #expect(RemoteLocation("/srv/git/homelab.git").transport == .local)
        #expect(RemoteLocation("file:///srv/git/homelab.git").transport == .local)
    }

    @Test func namesAreNotURLs() {
        #expect(!RemoteLocation.looksLikeURL("origin"))
        #expect(!RemoteLocation.looksLikeURL("team/upstream"))
        #expect(RemoteLocation.looksLikeURL("git@github.com:me/x.git"))
        #expect(RemoteLocation.looksLikeURL("github.com:me/x.git"))
        #expect(RemoteLocation.looksLikeURL("/srv/x.git"))
        #expect(RemoteLocation.looksLikeURL("../x.git"))
        #expect(RemoteLocation.looksLikeURL("https://github.com/me/x.git"))
    }
}
