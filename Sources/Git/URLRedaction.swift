/// Passwords in URLs (`https://user:secret@host/…`) never reach a message: every `GitError` passes its text
/// through ``redactingURLPasswords(_:)``, and ``RemoteLocation`` names a remote without its password.
package enum URLRedaction {
    /// `text` with the password of every `scheme://user:password@host` in it replaced by `***`
    /// (`https://user:***@host/…`). A user name alone is kept; text without URLs is returned unchanged.
    /// - Parameter text: Any message: libgit2's words, a URL, a command line.
    package static func redactingURLPasswords(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var result = ""
        var rest = Substring(text)
        while let marker = rest.range(of: "://") {
            result += rest[..<marker.upperBound]
            rest = rest[marker.upperBound...]
            let authority = rest.prefix { !$0.isWhitespace && !"/?#'\"<>(){}`,;".contains($0) }
            guard let at = authority.lastIndex(of: "@"),
                let colon = authority[..<at].firstIndex(of: ":")
            else { continue }
            result += authority[..<colon]
            result += ":***"
            rest = rest[at...]
        }
        return result + rest
    }

    /// The password of `url` (`https://user:password@host/…`), or nil when it has none. For registering with a
    /// secret masker.
    package static func password(in url: String) -> String? {
        guard let marker = url.range(of: "://") else { return nil }
        let authority = url[marker.upperBound...].prefix { $0 != "/" && !$0.isWhitespace }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return nil
        }
        let password = authority[authority.index(after: colon)..<at]
        return password.isEmpty ? nil : String(password)
    }
}
