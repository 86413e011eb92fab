import Foundation
import Git
import ReconcilerTesting
import Testing

/// Fetches over ssh against a real sshd started for the test (see `SSHServer`).
@Suite(.serialized) struct SSHFetchTests {
    /// Fetches `main` into the fixture's clone over ssh: from the fixture's bare remote unless `remote` is given,
    /// with the server's client key and known_hosts unless others are given.
    private func fetch(
        _ fixture: GitFixture,
        from server: SSHServer,
        remote: String? = nil,
        key: String? = nil,
        knownHosts: String? = nil
    ) throws -> ObjectID {
        let credentials = Credentials(
            sshPrivateKey: key ?? server.clientKey,
            useSSHAgent: false,
            knownHostsFile: knownHosts ?? server.knownHosts
        )
        return try Repository(at: fixture.clone).fetch(
            remote: remote ?? server.url(fixture.remote),
            branch: "main",
            credentials: credentials,
            timeout: .seconds(30)
        )
    }

    @Test func fetchWithKeyAndKnownHost() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let sha = try fixture.commit(files: ["over-ssh.txt": "hi\n"])
        let head = try fetch(fixture, from: server)
        #expect(head.hex == sha, "\(server.log)")
        #expect(try Repository(at: fixture.clone).commit(for: "reconciler/main").id.hex == sha)
    }

    @Test func fetchThroughAConfiguredSSHRemote() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        try fixture.gitInClone(["remote", "set-url", "origin", server.url(fixture.remote)])
        let sha = try fixture.commit(files: ["b.txt": "b\n"])
        // The public key is found beside the private key when not given.
        let head = try fetch(fixture, from: server, remote: "origin")
        #expect(head.hex == sha)
        #expect(try Repository(at: fixture.clone).commit(for: "origin/main").id.hex == sha)
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
        let head = try fetch(fixture, from: server)
        #expect(head.hex == (try fixture.remoteHead()))
    }

    @Test func unknownHostIsACertificateErrorWithTheFix() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let empty = server.directory.appending("empty_known_hosts")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let error = try #require(throws: GitError.self) { try fetch(fixture, from: server, knownHosts: empty) }
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
        let error = try #require(throws: GitError.self) { try fetch(fixture, from: server, knownHosts: file) }
        #expect(error.code == .certificate)
        #expect(error.message.contains("does not match"), "\(error)")
    }

    @Test func rejectedKeyIsAnAuthErrorNotAHang() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let start = ContinuousClock.now
        let error = try #require(throws: GitError.self) { try fetch(fixture, from: server, key: server.wrongKey) }
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
        let missing = fixture.directory.appending("nope.git")
        let error = try #require(throws: GitError.self) {
            try fetch(fixture, from: server, remote: server.url(missing))
        }
        #expect(error.code == .notFound, "\(error)")
        #expect(error.description.contains(missing), "\(error)")
    }
}
