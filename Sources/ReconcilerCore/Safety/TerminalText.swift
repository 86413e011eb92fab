/// Text from outside (commit summaries, paths, process output) made safe for a terminal: control characters are
/// shown, never obeyed, so a commit summary holding `ESC ]0;…` cannot retitle or repaint the operator's terminal.
package enum TerminalText {
    /// `text` with every C0 control character (except `\n` and `\t` when `keepingLayout`), DEL and every C1
    /// control character written as `\xNN` (`\u{NNNN}` above 0xFF is never needed: C1 ends at 0x9F).
    /// - Parameters:
    ///   - text: Untrusted text.
    ///   - keepingLayout: Keep newlines and tabs (multi-line output); false for one-line fields (a summary, a path).
    package static func escape(_ text: String, keepingLayout: Bool = true) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0, keepingLayout: keepingLayout) }) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if isControl(scalar, keepingLayout: keepingLayout) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar, keepingLayout: Bool) -> Bool {
        let value = scalar.value
        if keepingLayout && (value == 0x0A || value == 0x09) { return false }
        return value < 0x20 || value == 0x7F || (0x80...0x9F).contains(value)
    }
}
