/// An entry of a commit's tree whose name must never be written to disk: `..` or `.` (it would climb out of,
/// or alias, its directory), `.git` in any case (it would write into the repository's own metadata), or a name
/// holding `/`, NUL or a control character. git refuses to create such trees; a crafted one can still be pushed.
///
/// Reads as `nixos/..: an entry named ".." would write outside its directory`.
package struct TreePathProblem: Hashable, Sendable, CustomStringConvertible {
    package enum Reason: Hashable, Sendable {
        case empty
        case dot
        case dotDot
        case dotGit
        case slash
        case nul
        case controlCharacter
    }

    /// The entry's path, names joined with `/`, every byte below 0x20, 0x7F and invalid UTF-8 written as `\xNN`
    /// (so the path is safe to print).
    package let path: String
    package let reason: Reason

    package init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    package var description: String {
        let why: String
        switch reason {
        case .empty: why = "an entry with an empty name"
        case .dot: why = "an entry named \".\" would alias its own directory"
        case .dotDot: why = "an entry named \"..\" would write outside its directory"
        case .dotGit: why = "an entry named \".git\" would write into git's own metadata"
        case .slash: why = "an entry whose name holds \"/\" would write into another directory"
        case .nul: why = "an entry whose name holds a NUL byte"
        case .controlCharacter: why = "an entry whose name holds a control character"
        }
        return "\(path): \(why)"
    }

    /// What is wrong with one tree entry's name, or nil when it is safe.
    static func reason(for name: [UInt8]) -> Reason? {
        if name.isEmpty { return .empty }
        if name == [0x2E] { return .dot }
        if name == [0x2E, 0x2E] { return .dotDot }
        if name.count == 4, String(decoding: name, as: UTF8.self).lowercased() == ".git" { return .dotGit }
        if name.contains(0) { return .nul }
        if name.contains(UInt8(ascii: "/")) { return .slash }
        if name.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return .controlCharacter }
        return nil
    }

    /// `names` joined with `/`, control bytes and invalid UTF-8 escaped as `\xNN`.
    static func printable(_ names: [[UInt8]]) -> String {
        names.map { name -> String in
            var text = ""
            var bytes = name[...]
            while !bytes.isEmpty {
                // Decode as much valid UTF-8 as possible; escape what is not.
                var iterator = bytes.makeIterator()
                var decoder = UTF8()
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar):
                    let width = String(scalar).utf8.count
                    if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                        text += String(scalar.value, radix: 16).leftPadded("\\x")
                    } else {
                        text.unicodeScalars.append(scalar)
                    }
                    bytes = bytes.dropFirst(width)
                case .emptyInput:
                    bytes = []
                case .error:
                    text += String(bytes.first!, radix: 16).leftPadded("\\x")
                    bytes = bytes.dropFirst()
                }
            }
            return text
        }.joined(separator: "/")
    }
}

extension String {
    /// `prefix` then self padded to two hex digits, upper-case: `\x1B`.
    fileprivate func leftPadded(_ prefix: String) -> String {
        prefix + (count < 2 ? "0" + self : self).uppercased()
    }
}
