import Foundation

/// Passwords in URLs (`https://user:secret@host/…`) never reach a message: every `GitError` passes its text
/// through ``redactingURLPasswords(_:)``, and ``RemoteLocation`` names a remote without its password.
package enum URLRedaction {
    /// `text` with the password of every `scheme://user:password@host` in it replaced by `***`
    /// (`https://user:***@host/…`). A user name alone is kept; text without URLs is returned unchanged.
    /// - Parameter text: Any message: libgit2's words, a URL, a command line.
    package static func redactingURLPasswords(_ text: String) -> String {
        guard TextSearch.mayContain(text, "://") else { return text }
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

/// A substring test on UTF-8 bytes (`memchr`, `memcmp`) for the hot paths that look through every message (masking and
/// redacting a 370 KB plan runs them on the whole text). Foundation's `contains` bridges to `NSString` and compares
/// UTF-16 with canonical equivalence: on such text it cost more than the rest of the masking.
package enum TextSearch {
    /// True when `needle`'s bytes occur in `text`; for a needle that is not ASCII (where Foundation's canonical
    /// equivalence could match other bytes), Foundation's `contains`. Never false where Foundation's is true for an
    /// ASCII needle, so a caller that acts only on `true` misses nothing.
    package static func mayContain(_ text: String, _ needle: String) -> Bool {
        guard needle.utf8.allSatisfy({ $0 < 0x80 }) else { return text.contains(needle) }
        if needle.isEmpty { return true }
        var text = text
        var needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { pattern in
                guard let base = haystack.baseAddress, let wanted = pattern.baseAddress, haystack.count >= pattern.count
                else { return false }
                // memchr to each candidate first byte, memcmp the rest.
                let last = haystack.count - pattern.count
                var start = 0
                while start <= last {
                    guard let hit = memchr(base + start, Int32(wanted.pointee), last + 1 - start) else { return false }
                    if memcmp(hit, wanted, pattern.count) == 0 { return true }
                    start = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
                }
                return false
            }
        }
    }
}
