/// Where the daemon (and `sync`) sets commit statuses: `forge` in the host's configuration file (host-only: a commit
/// that sets it is refused). The token is read from `tokenFile` when a status is sent, and only ever sent over https.
package struct ForgeSettings: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        case github, gitea, gitlab
    }

    package var kind: Kind
    /// The API root: `https://api.github.com` (GitHub Enterprise: `https://HOST/api/v3`),
    /// `https://HOST/api/v1` (Gitea, Forgejo), `https://gitlab.com/api/v4`.
    package var apiURL: String
    /// `owner/name` (GitLab: the project's full path, groups included, or its numeric id).
    package var repository: String
    /// A file holding the API token (absolute path).
    package var tokenFile: String
    /// The daemon's status page as the forge's users reach it (`https://homelab.example:9876`): a status links to
    /// its deployment's page there. nil: statuses carry no link.
    package var statusPageURL: String?

    package init(kind: Kind, apiURL: String, repository: String, tokenFile: String, statusPageURL: String? = nil) {
        self.kind = kind
        self.apiURL = apiURL
        self.repository = repository
        self.tokenFile = tokenFile
        self.statusPageURL = statusPageURL
    }

    /// The API root used when `apiURL` is not given (Gitea and Forgejo have no public default).
    package static func defaultAPIURL(_ kind: Kind) -> String? {
        switch kind {
        case .github: "https://api.github.com"
        case .gitlab: "https://gitlab.com/api/v4"
        case .gitea: nil
        }
    }

    /// Decodes `forge`, strictly: unknown keys, a missing key, a plain-http API URL are errors naming the key.
    static func decode(_ value: JSONValue, source: String) throws(ConfigError) -> ForgeSettings {
        func fault(_ code: ConfigError.Code, _ key: String, _ message: String) -> ConfigError {
            ConfigError(code: code, source: source, keyPath: key.isEmpty ? "forge" : "forge.\(key)", message: message)
        }
        let known = ["kind", "apiURL", "repository", "tokenFile", "statusPageURL"]
        guard case .object(let object) = value else {
            throw fault(
                .wrongType,
                "",
                "expected an object with \(known.joined(separator: ", ")), found \(value.summary)"
            )
        }
        for key in object.keys.sorted() where !known.contains(key) {
            throw fault(.unknownKey, key, "unknown key; known keys: \(known.joined(separator: ", "))")
        }
        func text(_ key: String) throws(ConfigError) -> String? {
            guard let field = object[key], field != .null else { return nil }
            guard case .string(let string) = field, !string.isEmpty else {
                throw fault(.wrongType, key, "expected a non-empty string, found \(field.summary)")
            }
            return string
        }
        let kinds = Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard let name = try text("kind") else { throw fault(.missingKey, "kind", "missing; one of \(kinds)") }
        guard let kind = Kind(rawValue: name) else {
            throw fault(.invalidValue, "kind", "unknown forge \"\(name)\"; one of \(kinds)")
        }
        guard let repository = try text("repository") else {
            throw fault(.missingKey, "repository", "missing: the repository statuses are set on, as \"owner/name\"")
        }
        let parts = repository.split(separator: "/", omittingEmptySubsequences: false)
        let numericProject = kind == .gitlab && repository.allSatisfy(\.isNumber)
        guard numericProject || (parts.count == 2 || (kind == .gitlab && parts.count > 2)) && !parts.contains("")
        else {
            throw fault(.invalidValue, "repository", "\"\(repository)\" is not \"owner/name\"")
        }
        guard let tokenFile = try text("tokenFile") else {
            throw fault(.missingKey, "tokenFile", "missing: a file holding the forge's API token (docs/forge.md)")
        }
        guard tokenFile.hasPrefix("/") else {
            throw fault(.invalidValue, "tokenFile", "\"\(tokenFile)\" must be an absolute path")
        }
        guard let apiURL = try text("apiURL") ?? defaultAPIURL(kind) else {
            throw fault(.missingKey, "apiURL", "missing: Gitea and Forgejo need their API root, https://HOST/api/v1")
        }
        guard apiURL.lowercased().hasPrefix("https://"), apiURL.count > "https://".count else {
            throw fault(
                .insecureTransport,
                "apiURL",
                "\"\(apiURL)\" is not an https:// URL: the token is never sent over plain http"
            )
        }
        let statusPageURL = try text("statusPageURL")
        if let statusPageURL, !(statusPageURL.hasPrefix("https://") || statusPageURL.hasPrefix("http://")) {
            throw fault(.invalidValue, "statusPageURL", "\"\(statusPageURL)\" is not an http(s):// URL")
        }
        return ForgeSettings(
            kind: kind,
            apiURL: apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL,
            repository: repository,
            tokenFile: tokenFile,
            statusPageURL: statusPageURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        )
    }
}
