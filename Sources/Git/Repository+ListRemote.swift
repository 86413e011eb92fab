import CLibGit2
import Foundation

extension Repository {
    /// What `git ls-remote` does: connects to `remote` through the same transport, credentials and time limit as
    /// ``fetch(remote:branch:credentials:timeout:)`` and lists the refs it advertises, fetching nothing. The system
    /// step asks it to confirm that a new system can still reach the forge.
    /// - Parameters:
    ///   - remote: A configured remote name (`origin`) or a URL/path.
    ///   - credentials: As for a fetch.
    ///   - timeout: The longest the connection and listing may take.
    /// - Returns: The advertised ref names (`HEAD`, `refs/heads/main` …).
    /// - Throws: `GitError` as a fetch would (`.notFound`, `.auth`, `.certificate`, `.timeout`, `.network`).
    package func listRemote(remote: String, credentials: Credentials, timeout: Duration) throws -> [String] {
        try withRepository { repo in
            let (handle, _) = try remoteHandle(repo, remote)
            let session = try session(for: handle, remote: remote, credentials: credentials, timeout: timeout)
            return try session.run {
                let callbacks = try Self.callbacks(for: session)
                return try withExtendedLifetime(session) {
                    let (heads, count) = try Self.connectAndList(handle, session: session, callbacks: callbacks)
                    defer { git_remote_disconnect(handle) }
                    return (0..<count).compactMap { string(heads?[$0]?.pointee.name) }
                }
            }
        }
    }
}
