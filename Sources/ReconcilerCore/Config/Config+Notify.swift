import Foundation

extension Config {
    /// The keys of a `notify` entry only the host's own file may set: `command` runs as root, `tokenFile` and
    /// `urlFile` read a file of the host and send it to the entry's URL. A commit's reconciler.json setting one is
    /// refused, so whoever can push cannot run a command through a notification or mail a host file away.
    package static let hostOnlyNotifyKeys = ["command", "tokenFile", "urlFile"]

    /// Refuses a repository file whose `notify` sets a host-only part (``hostOnlyNotifyKeys``), naming it.
    /// - Parameters:
    ///   - root: The repository file's parsed JSON.
    ///   - source: How errors name it.
    /// - Throws: `ConfigError` with code `.hostOnlyKey` and the key path (`notify[0].command`).
    static func checkRepositoryNotify(_ root: JSONValue, source: String) throws(ConfigError) {
        guard case .object(let object) = root, case .array(let entries)? = object["notify"] else { return }
        for (index, entry) in entries.enumerated() {
            guard case .object(let fields) = entry,
                let key = hostOnlyNotifyKeys.first(where: { fields[$0] != nil })
            else { continue }
            throw ConfigError(
                code: .hostOnlyKey,
                source: source,
                keyPath: "notify[\(index)].\(key)",
                message: "may only be set in the host's configuration file (--config FILE or "
                    + "\(defaultHostFilePath)), never by a commit: a notification's command, tokenFile and urlFile "
                    + "decide what runs and which host file is sent where; move this notify entry there"
            )
        }
    }
}

/// The checks a notification URL passes, at load (`url`) and at each send (the content of `urlFile`).
package enum NotifyURL {
    /// What is wrong with `url` for a person to fix, or nil when it is a usable `http://` or `https://` URL. The
    /// URL itself is never quoted (it may carry a token).
    ///
    /// A control character anywhere, written as is or percent-encoded (`%0d%0a`), is refused: once decoded it could
    /// end the request line and inject a header.
    package static func problem(_ url: String) -> String? {
        guard let scheme = url.range(of: "://"),
            ["http", "https"].contains(url[..<scheme.lowerBound].lowercased()),
            !url[scheme.upperBound...].isEmpty
        else {
            return "expected an http:// or https:// URL"
        }
        if let offset = url.utf8.firstIndex(where: isControl).map({
            url.utf8.distance(from: url.utf8.startIndex, to: $0)
        }
        ) {
            return "holds a control character (byte \(offset + 1)); remove it"
        }
        if url.contains(" ") { return "holds a space; write it as %20" }
        if let encoded = firstEncodedControl(url) {
            return "holds the percent-encoded control character \(encoded), which would end the request line and "
                + "inject an HTTP header once decoded; remove it"
        }
        guard let parsed = URL(string: url), let host = parsed.host, !host.isEmpty else {
            return "is not a valid URL (no host)"
        }
        return nil
    }

    private static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    /// The first `%XX` in `url` that decodes to a control character, as written (`%0d`).
    private static func firstEncodedControl(_ url: String) -> String? {
        let bytes = Array(url.utf8)
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == UInt8(ascii: "%"),
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16),
                isControl(value)
            {
                return String(decoding: bytes[index...(index + 2)], as: UTF8.self)
            }
            index += 1
        }
        return nil
    }
}

extension ConfigReader {
    /// A notification's destination: exactly one of `url` (checked by ``NotifyURL/problem(_:)``) and `urlFile`
    /// (an absolute path, read at each send).
    func notifyDestination(
        _ object: [String: JSONValue],
        at keyPath: String,
        into target: inout NotifyTarget
    ) throws(ConfigError) {
        let url = object["url"].flatMap { $0 == .null ? nil : $0 }
        let file = object["urlFile"].flatMap { $0 == .null ? nil : $0 }
        switch (url, file) {
        case (nil, nil):
            throw error(
                .missingKey,
                "\(keyPath).url",
                "missing; every notify target needs a url, or a urlFile naming a file that holds it (in the host's "
                    + "configuration file, for a URL that carries a token)"
            )
        case (.some, .some):
            throw error(.invalidValue, "\(keyPath).urlFile", "set url or urlFile, not both")
        case (let url?, nil):
            let text = try string(url, at: "\(keyPath).url")
            if let problem = NotifyURL.problem(text) {
                throw error(.invalidValue, "\(keyPath).url", problem)
            }
            target.url = text
        case (nil, let file?):
            let path = try nonEmptyString(file, at: "\(keyPath).urlFile")
            guard path.hasPrefix("/") else {
                throw error(.invalidValue, "\(keyPath).urlFile", "expected an absolute path, found \"\(path)\"")
            }
            target.urlFile = path
        }
    }
}
