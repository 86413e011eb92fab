/// Cuts text to a byte budget without splitting a UTF-8 character.
///
/// Log tails end up in the state database and in error messages; both must stay small whatever a
/// command prints, and a cut in the middle of a multi-byte character would turn into U+FFFD.
package enum BoundedText {
    /// Marks text that was cut: the ellipsis, 3 bytes in UTF-8.
    package static let ellipsis = "…"

    /// The end of `text` in at most `limit` UTF-8 bytes, prefixed with "…" when something was cut
    /// (the ellipsis counts towards the limit).
    package static func tail(_ text: String, limit: Int) -> String {
        let utf8 = text.utf8
        guard utf8.count > limit else { return text }
        return tail(bytes: Array(utf8), limit: limit)
    }

    /// The end of `bytes` (UTF-8) in at most `limit` bytes, prefixed with "…" when something was cut.
    /// - Parameters:
    ///   - alreadyCut: The bytes are themselves the end of something longer: mark them cut even if they fit.
    package static func tail(bytes: [UInt8], limit: Int, alreadyCut: Bool = false) -> String {
        guard bytes.count > limit || alreadyCut else { return String(decoding: bytes, as: UTF8.self) }
        let budget = limit - ellipsis.utf8.count
        guard budget > 0 else { return "" }
        var start = max(bytes.count - budget, 0)
        while start < bytes.count, isContinuation(bytes[start]) { start += 1 }
        return ellipsis + String(decoding: bytes[start...], as: UTF8.self)
    }

    /// The beginning of `bytes` (UTF-8) in at most `limit` bytes, never ending inside a character.
    package static func head(bytes: [UInt8], limit: Int) -> String {
        guard bytes.count > limit else { return String(decoding: bytes, as: UTF8.self) }
        var end = max(limit, 0)
        while end > 0, isContinuation(bytes[end]) { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    private static func isContinuation(_ byte: UInt8) -> Bool { byte & 0b1100_0000 == 0b1000_0000 }
}

extension String {
    /// The last `n` non-empty lines, joined: enough of a tool's output to say why it failed.
    package func lastLines(_ n: Int) -> String {
        split(whereSeparator: \.isNewline).suffix(n).joined(separator: "\n")
    }
}
