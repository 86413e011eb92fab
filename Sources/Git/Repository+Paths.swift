import CLibGit2

extension Repository {
    /// The repository's git directory (`<workdir>/.git`, or wherever a `.git` file points), absolute, without a
    /// trailing slash. The reconciler's repository lock lives there, so two state directories cannot deploy one
    /// work tree at once.
    package func gitDirectory() throws -> String {
        try withRepository { repo in
            guard var path = string(git_repository_path(repo)) else {
                throw GitError(code: .other, call: "git_repository_path", message: "no git directory", context: workdir)
            }
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            return path
        }
    }

    /// The URL `remote` fetches from: `remote` itself when it is a URL or a path, else the URL of the configured
    /// remote of that name; nil when there is no such remote.
    package func resolvedRemoteURL(_ remote: String) throws -> String? {
        if RemoteURL.isURLOrPath(remote) { return remote }
        return try remoteURL(remote)
    }
}

/// What the configuration checks need to know about a remote URL, without its password.
package enum RemoteURL {
    /// How a URL reaches its server.
    package enum Transport: Hashable, Sendable {
        case local, ssh, https
        /// Plain `http://`: readable and changeable on the way.
        case http
        /// `git://`: unauthenticated, unencrypted.
        case git
        case other(String)

        /// True for `http` and `git`: anyone on the path can read or change what is fetched.
        package var isPlainText: Bool { self == .http || self == .git }
    }

    package static func transport(of url: String) -> Transport {
        switch RemoteLocation(url).transport {
        case .local: .local
        case .ssh: .ssh
        case .http: .http
        case .https: .https
        case .other(let scheme): scheme == "git" ? .git : .other(scheme)
        }
    }

    /// `url` as messages show it: without its password.
    package static func display(_ url: String) -> String { RemoteLocation(url).display }

    /// True when `remote` is a URL or a path rather than the name of a configured remote.
    package static func isURLOrPath(_ remote: String) -> Bool { RemoteLocation.looksLikeURL(remote) }
}
