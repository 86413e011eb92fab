/// Where a remote lives, parsed from its URL: enough to pick credentials, check an ssh host key and name
/// the remote in messages.
struct RemoteLocation: Sendable, Equatable {
    enum Transport: Sendable, Equatable {
        /// A path or `file://` URL: no network, no credentials.
        case local
        case ssh
        case http
        case https
        /// `git://` and anything else libgit2 may know.
        case other(String)
    }

    let transport: Transport
    let host: String?
    let port: Int?
    let user: String?
    /// The URL without any password, for messages.
    let display: String

    init(_ url: String) {
        if let range = url.range(of: "://") {
            let scheme = url[..<range.lowerBound].lowercased()
            let rest = url[range.upperBound...]
            let authority = rest.prefix { $0 != "/" }
            var hostPort = Substring(authority)
            var user: String?
            var password = false
            if let at = authority.lastIndex(of: "@") {
                let info = authority[..<at]
                hostPort = authority[authority.index(after: at)...]
                if let colon = info.firstIndex(of: ":") {
                    user = String(info[..<colon])
                    password = true
                } else {
                    user = String(info)
                }
            }
            var host = String(hostPort)
            var port: Int?
            if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
                host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
                let after = hostPort[hostPort.index(after: close)...]
                if after.hasPrefix(":") { port = Int(after.dropFirst()) }
            } else if let colon = hostPort.lastIndex(of: ":") {
                host = String(hostPort[..<colon])
                port = Int(hostPort[hostPort.index(after: colon)...])
            }
            switch scheme {
            case "file":
                self.transport = .local
            case "ssh", "ssh+git", "git+ssh":
                self.transport = .ssh
            case "http":
                self.transport = .http
            case "https":
                self.transport = .https
            default:
                self.transport = .other(scheme)
            }
            self.host = transport == .local ? nil : host
            self.user = user
            self.port = port ?? Self.defaultPort(transport)
            if password, let user {
                self.display = "\(scheme)://\(user)@\(hostPort)\(rest.dropFirst(authority.count))"
            } else {
                self.display = url
            }
        } else if let (user, host) = Self.scpLike(url) {
            self.transport = .ssh
            self.host = host
            self.user = user
            self.port = 22
            self.display = url
        } else {
            self.transport = .local
            self.host = nil
            self.user = nil
            self.port = nil
            self.display = url
        }
    }

    /// True when `remote` is a URL or a path rather than the name of a configured remote.
    static func looksLikeURL(_ remote: String) -> Bool {
        remote.contains("://") || remote.hasPrefix("/") || remote.hasPrefix("./") || remote.hasPrefix("../")
            || remote == "." || remote == ".." || scpLike(remote) != nil
    }

    /// `[user@]host:path` (git's scp-like syntax): a colon before any slash.
    private static func scpLike(_ url: String) -> (user: String?, host: String)? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let before = url[..<colon]
        guard !before.isEmpty, !before.contains("/") else { return nil }
        if let at = before.lastIndex(of: "@") {
            let host = before[before.index(after: at)...]
            guard !host.isEmpty else { return nil }
            return (String(before[..<at]), String(host))
        }
        return (nil, String(before))
    }

    private static func defaultPort(_ transport: Transport) -> Int? {
        switch transport {
        case .ssh: 22
        case .http: 80
        case .https: 443
        case .other("git"): 9418
        default: nil
        }
    }
}
