import Foundation
import Git

extension Config {
    /// The keys only the host's own configuration file may set: where state lives, how to authenticate, what to
    /// trust. A commit's reconciler.json setting one is refused, so whoever can push cannot turn off signature
    /// verification, point the state elsewhere or allow plain transports.
    package static let hostOnlyKeys = [
        "stateDir", "auth", "verify", "allowRewrite", "allowInsecureTransport", "sops", "forge",
    ]

    /// The host-side file used when no `--config` is given and it exists.
    package static let defaultHostFilePath = "/etc/reconciler/config.json"

    /// Where the host file is looked for when no `--config` is given: `$RECONCILER_HOST_CONFIG` when set (so tests
    /// and a real /etc file never mix), else ``defaultHostFilePath``.
    package static var defaultHostFileLocation: String {
        ProcessInfo.processInfo.environment["RECONCILER_HOST_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
            ?? defaultHostFilePath
    }

    /// The host-side configuration file in force: `explicit` (`--config FILE`) when given, else `defaultPath`
    /// when a file exists there, else nil.
    /// - Parameters:
    ///   - explicit: The `--config` argument, if any.
    ///   - defaultPath: Where the host file lives by default (injectable for tests).
    package static func hostFilePath(explicit: String?, defaultPath: String = defaultHostFileLocation) -> String? {
        if let explicit { return explicit }
        return FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil
    }

    /// Reads the host-side file at `path` (nil: none).
    /// - Throws: `ConfigError` (`.invalidJSON`) naming the path when it cannot be read.
    package static func readHostFile(_ path: String?) throws(ConfigError) -> Data? {
        guard let path else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                code: .invalidJSON,
                source: path,
                message: "cannot read the host configuration file; check the path and its permissions"
            )
        }
        return data
    }

    /// The configuration that governs: the repository's reconciler.json (from the commit being deployed, or the
    /// work tree) overridden key by key by the host's file. Objects are merged at every depth (`services.compose`
    /// from the host, `services.root` from the repository); any other value the host sets replaces the
    /// repository's whole (`notify`, `system.switch`). Both absent: the defaults.
    ///
    /// Each file is checked on its own first (strict keys and types, no duplicate keys, durations ≤ a day), so an
    /// error names the file at fault; the repository's file may not set a host-only key (``hostOnlyKeys``).
    /// - Parameters:
    ///   - repoFile: The repository's reconciler.json, nil when it has none.
    ///   - repoSource: How errors name it: `reconciler.json at 1a2b3c4d5e6f`.
    ///   - hostFile: The host's file, nil when there is none.
    ///   - hostSource: Its path, for errors.
    /// - Throws: `ConfigError`: `.hostOnlyKey` naming the key, `.duplicateKey`, and every error of ``decode(_:source:)``.
    package static func resolve(
        repoFile: Data?,
        repoSource: String = Config.fileName,
        hostFile: Data?,
        hostSource: String = defaultHostFilePath
    ) throws(ConfigError) -> Config {
        var merged = JSONValue.object([:])
        var sources: [String] = []
        if let repoFile {
            let root = try parse(repoFile, source: repoSource)
            if case .object(let object) = root,
                let key = hostOnlyKeys.first(where: { object[$0] != nil })
            {
                throw ConfigError(
                    code: .hostOnlyKey,
                    source: repoSource,
                    keyPath: key,
                    message: "may only be set in the host's configuration file (--config FILE or "
                        + "\(defaultHostFilePath)), never by a commit; move it there and remove it from "
                        + "the repository"
                )
            }
            try checkRepositoryNotify(root, source: repoSource)
            _ = try decode(root, source: repoSource)
            merged = root
            sources.append(repoSource)
        }
        if let hostFile {
            let root = try parse(hostFile, source: hostSource)
            _ = try decode(root, source: hostSource)
            merged = merged.merging(root)
            sources.append(hostSource)
        }
        // Errors only the combination can have (roots that overlap once merged) name both files.
        return try decode(merged, source: sources.isEmpty ? Config.fileName : sources.joined(separator: " + "))
    }

    /// Refuses a remote that anyone on the path could read or change: `http://` and `git://` unless
    /// `allowInsecureTransport`, and a token over plain http in any case.
    /// - Parameter url: The URL the remote fetches from (a configured remote's URL already looked up).
    /// - Throws: `ConfigError` with code `.insecureTransport` naming `remote`, the URL without its password, and
    ///   what to do.
    package func checkTransport(url: String) throws(ConfigError) {
        let shown = RemoteURL.display(url)
        let transport = RemoteURL.transport(of: url)
        if transport == .http, auth.tokenFile != nil {
            throw ConfigError(
                code: .insecureTransport,
                source: source,
                keyPath: "remote",
                message: "\(shown) is plain http and auth.tokenFile is set: a token is never sent over plain "
                    + "http; use the https:// URL"
            )
        }
        if transport.isPlainText, !allowInsecureTransport {
            let scheme = transport == .git ? "git://" : "http://"
            throw ConfigError(
                code: .insecureTransport,
                source: source,
                keyPath: "remote",
                message: "\(shown) uses \(scheme), which anyone on the network path can read and change; use an "
                    + "https:// or ssh:// URL, or set \"allowInsecureTransport\": true in the host's configuration "
                    + "file if this network is trusted"
            )
        }
    }
}

extension JSONValue {
    /// `self` overridden by `other` key by key: objects merge at every depth; any other value of `other`
    /// replaces this one.
    func merging(_ other: JSONValue) -> JSONValue {
        guard case .object(var mine) = self, case .object(let theirs) = other else { return other }
        for (key, value) in theirs {
            mine[key] = mine[key].map { $0.merging(value) } ?? value
        }
        return .object(mine)
    }
}
