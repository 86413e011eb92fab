import Foundation

/// Finds a key that appears twice in one object of a JSON document. Foundation's decoders keep one of the two
/// silently; a configuration must not mean something other than what its reader sees.
enum JSONDuplicateKeys {
    /// The dotted key path of the first duplicate (`services.root`, `notify[1].url`), or nil when there is none.
    /// `data` must be valid JSON (parse it first); for anything else the answer is nil.
    static func first(in data: Data) -> String? {
        var scanner = Scanner(bytes: Array(data))
        return scanner.value(path: "")
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func value(path: String) -> String? {
            skipWhitespace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(path: path)
            case UInt8(ascii: "["): return array(path: path)
            case UInt8(ascii: "\""):
                _ = string()
                return nil
            default:
                while index < bytes.count, !",]} \t\r\n".utf8.contains(bytes[index]) { index += 1 }
                return nil
            }
        }

        mutating func object(path: String) -> String? {
            index += 1  // {
            var seen = Set<String>()
            while true {
                skipWhitespace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return nil
                }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "\"") else { return nil }
                let key = string()
                let keyPath = path.isEmpty ? key : "\(path).\(key)"
                if !seen.insert(key).inserted { return keyPath }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                if let duplicate = value(path: keyPath) { return duplicate }
            }
        }

        mutating func array(path: String) -> String? {
            index += 1  // [
            var element = 0
            while true {
                skipWhitespace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return nil
                }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    element += 1
                    continue
                }
                if let duplicate = value(path: "\(path)[\(element)]") { return duplicate }
            }
        }

        /// Reads a string literal and returns its decoded value (so `"a"` and `"\u0061"` are the same key).
        mutating func string() -> String {
            let start = index
            index += 1  // opening quote
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            index = min(index + 1, bytes.count)
            let literal = Data(bytes[start..<index])
            return (try? JSONDecoder().decode(String.self, from: literal))
                ?? String(decoding: bytes[(start + 1)..<max(start + 1, index - 1)], as: UTF8.self)
        }

        mutating func skipWhitespace() {
            while index < bytes.count, " \t\r\n".utf8.contains(bytes[index]) { index += 1 }
        }
    }
}
