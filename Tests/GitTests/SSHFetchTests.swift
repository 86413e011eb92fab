import Foundation
import Git
import ReconcilerTesting
import Testing

/// Fetches over ssh against a real sshd started for the test (see `SSHServer`).
@Suite(.serialized) struct SSHFetchTests {
    @Test func fetchWithKeyAndKnownHost() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let sha = try fixture.commit(files: ["over-ssh.txt": "hi\n"])
        let repo = try Repository(at: fixture.clone)
        let credentials = Credentials(
            sshPrivateKey: server.clientKey,
            useSSHAgent: false,
            knownHostsFile: server.knownHosts
        )
        let head = try repo.fetch(
            remote: server.url(fixture.remote),
            branch: "main",
            credentials: credentials,
            timeout: .seconds(30)
        )
        #expect(head.hex == sha, "\(server.log)")
        #expect(try repo.commit(for: "reconciler/main").id.hex == sha)
    }

    @Test func fetchThroughAConfiguredSSHRemote() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        try fixture.gitInClone(["remote", "set-url", "origin", server.url(fixture.remote)])
        let sha = try fixture.commit(files: ["b.txt": "b\n"])
        let repo = try Repository(at: fixture.clone)
        // The public key is found beside the private key when not given.
        let credentials = Credentials(
            sshPrivateKey: server.clientKey,
            useSSHAgent: false,
            knownHostsFile: server.knownHosts
        )
        let head = try repo.fetch(remote: "origin", branch: "main", credentials: credentials, timeout: .seconds(30))
        #expect(head.hex == sha)
        #expect(try repo.commit(for: "origin/main").id.hex == sha)
    }

    @Test func hashedKnownHostsEntryIsAccepted() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        // ssh-keygen -H hashes the host names of a known_hosts file in place.
        try Command.check(["ssh-keygen", "-q", "-H", "-f", server.knownHosts])
        let hashed = try String(contentsOfFile: server.knownHosts, encoding: .utf8)
        #expect(hashed.hasPrefix("|1|"))
        let repo = try Repository(at: fixture.clone)
        let credentials = Credentials(
            sshPrivateKey: server.clientKey,
            useSSHAgent: false,
            knownHostsFile: server.knownHosts
        )
        let head = try repo.fetch(
            remote: server.url(fixture.remote),
            branch: "main",
            credentials: credentials,
            timeout: .seconds(30)
        )
        #expect(head.hex == (try fixture.remoteHead()))
    }

    @Test func unknownHostIsACertificateErrorWithTheFix() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let empty = server.directory.appending("empty_known_hosts")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let repo = try Repository(at: fixture.clone)
        let credentials = Credentials(sshPrivateKey: server.clientKey, useSSHAgent: false, knownHostsFile: empty)
        let error = try #require(throws: GitError.self) {
            try repo.fetch(
                remote: server.url(fixture.remote),
                branch: "main",
                credentials: credentials,
                timeout: .seconds(30)
            )
        }
        #expect(error.code == .certificate, "\(error)")
        #expect(error.message.contains("127.0.0.1"))
        #expect(error.message.contains("ssh-keyscan -p \(server.port) 127.0.0.1 >> \(empty)"), "\(error)")
    }

    @Test func changedHostKeyIsACertificateError() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        // A known_hosts entry for this host and key type, but with another key.
        let other = try String(contentsOfFile: server.wrongKey + ".pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let file = server.directory.appending("changed_known_hosts")
        try "[127.0.0.1]:\(server.port) \(other)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let repo = try Repository(at: fixture.clone)
        let credentials = Credentials(sshPrivateKey: server.clientKey, useSSHAgent: false, knownHostsFile: file)
        let error = try #require(throws: GitError.self) {
            try repo.fetch(
                remote: server.url(fixture.remote),
                branch: "main",
                credentials: credentials,
                timeout: .seconds(30)
            )
        }
        #expect(error.code == .certificate)
        #expect(error.message.contains("does not match"), "\(error)")
    }

    @Test func rejectedKeyIsAnAuthErrorNotAHang() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let credentials = Credentials(
            sshPrivateKey: server.wrongKey,
            useSSHAgent: false,
            knownHostsFile: server.knownHosts
        )
        let start = ContinuousClock.now
        let error = try #require(throws: GitError.self) {
            try repo.fetch(
                remote: server.url(fixture.remote),
                branch: "main",
                credentials: credentials,
                timeout: .seconds(30)
            )
        }
        #expect(ContinuousClock.now - start < .seconds(15))
        #expect(error.code == .auth, "\(error)")
        #expect(error.message.contains(server.wrongKey), "\(error)")
        #expect(error.message.contains("rejected"), "\(error)")
        #expect(error.description.contains("127.0.0.1:\(server.port)"), "\(error)")
    }

    @Test func missingRepositoryOverSSHIsNotFound() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let credentials = Credentials(
            sshPrivateKey: server.clientKey,
            useSSHAgent: false,
            knownHostsFile: server.knownHosts
        )
        let missing = fixture.directory.appending("nope.git")
        let error = try #require(throws: GitError.self) {
            try repo.fetch(remote: server.url(missing), branch: "main", credentials: credentials, timeout: .seconds(30))
        }
        #expect(error.code == .notFound, "\(error)")
        #expect(error.description.contains(missing), "\(error)")
    }
}
