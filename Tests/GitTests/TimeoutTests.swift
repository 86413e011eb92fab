import Foundation
import Git
import ReconcilerTesting
import Testing

/// A server that accepts the connection and then never says anything must not hang a fetch past its timeout.
@Suite struct TimeoutTests {
    @Test(arguments: ["ssh://git@127.0.0.1:%d/homelab.git", "http://127.0.0.1:%d/homelab.git"])
    func silentServerTimesOut(_ pattern: String) throws {
        let listener = try SilentListener()
        defer { listener.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let url = String(format: pattern, listener.port)
        let start = ContinuousClock.now
        let error = try #require(throws: GitError.self) {
            try repo.fetch(
                remote: url,
                branch: "main",
                credentials: Credentials(useSSHAgent: false),
                timeout: .seconds(2)
            )
        }
        let elapsed = ContinuousClock.now - start
        #expect(error.code == .timeout, "\(error)")
        #expect(error.message.contains("2s"), "\(error)")
        #expect(error.description.contains("127.0.0.1:\(listener.port)"), "\(error)")
        #expect(elapsed >= .milliseconds(1900))
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    @Test func repositoryIsUsableAfterATimeout() throws {
        let listener = try SilentListener()
        defer { listener.stop() }
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let repo = try Repository(at: fixture.clone)
        let error = #expect(throws: GitError.self) {
            try repo.fetch(
                remote: "http://127.0.0.1:\(listener.port)/x.git",
                branch: "main",
                credentials: Credentials(),
                timeout: .milliseconds(500)
            )
        }
        #expect(error?.code == .timeout, "the silent server made the fetch time out: \(String(describing: error))")
        let sha = try fixture.commit(files: ["x": "x\n"])
        #expect(
            try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20)).hex
                == sha
        )
    }
}
