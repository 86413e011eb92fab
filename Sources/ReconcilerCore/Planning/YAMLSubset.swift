import Foundation

/// A reader for the part of YAML that Compose files use, enough for a plan to read a service's image, ports and
/// volumes from git objects without running Compose: block mappings and sequences by indentation, `- key: value`
/// items, plain, single- and double-quoted scalars, one-line flow sequences and mappings (`["CMD", "x"]`), block
/// scalars (`|`, `>`: kept as text), comments. Anchors and aliases are not followed: an alias reads as
/// ``Node/unsupported(_:)``, so a caller can say what it could not read instead of guessing. Values are text:
/// `${VAR:-default}` stays as written.
package enum YAMLSubset {
    package indirect enum Node: Equatable, Sendable {
        case scalar(String)
        case mapping([(key: String, value: Node)])
        case sequence([Node])
        /// What this reader does not follow (an alias, a merge key), with the text as written.
        case unsupported(String)

        package static func == (lhs: Node, rhs: Node) -> Bool {
            switch (lhs, rhs) {
            case (.scalar(let a), .scalar(let b)), (.unsupported(let a), .unsupported(let b)): a == b
            case (.sequence(let a), .sequence(let b)): a == b
            case (.mapping(let a), .mapping(let b)):
                a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: false
            }
        }

        /// The value under `key` of a mapping.
        package subscript(key: String) -> Node? {
            guard case .mapping(let entries) = self else { return nil }
            return entries.last { $0.key == key }?.value
        }

        package var text: String? {
            if case .scalar(let text) = self { return text }
            return nil
        }
    }

    package struct ParseError: Error, Equatable, CustomStringConvertible {
        package let line: Int
        package let message: String
        package var description: String { "line \(line): \(message)" }
    }

    /// Reads one YAML document (a leading `---` is skipped; a second document ends the read).
    package static func parse(_ text: String) throws(ParseError) -> Node {
        var parser = Parser(lines: logicalLines(text))
        guard !parser.lines.isEmpty else { return .mapping([]) }
        return try parser.block(indent: parser.lines[0].indent)
    }

    struct Line {
        var indent: Int
        var text: Substring
        let number: Int
    }

    /// Non-empty lines without comments, with their indentation. Block scalars' lines keep their text (a `#` in them
    /// is not a comment), and are marked by their indentation under the key that opens them.
    static func logicalLines(_ text: String) -> [Line] {
        var lines: [Line] = []
        var blockIndent: Int?  // inside a block scalar opened by a key at this indentation
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let indent = line.prefix { $0 == " " }.count
            let body = line.dropFirst(indent)
            if let open = blockIndent {
                if body.isEmpty || indent > open {
                    lines.append(Line(indent: indent, text: body, number: index + 1))
                    continue
                }
                blockIndent = nil
            }
            if index == 0 || lines.isEmpty, body.hasPrefix("---") { continue }
            if body.hasPrefix("---") || body.hasPrefix("...") { break }
            let content = stripComment(body)
            if content.isEmpty { continue }
            let value = splitKey(content)?.1 ?? (content.hasPrefix("- ") ? content.dropFirst(2).trimmingSpaces : "")
            if value.first == "|" || value.first == ">" { blockIndent = indent }
            lines.append(Line(indent: indent, text: content, number: index + 1))
        }
        return lines
    }

    /// The line without a comment: a `#` at the start or after a space, outside quotes.
    static func stripComment(_ text: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for index in text.indices {
            let c = text[index]
            if let open = quote {
                if c == open { quote = nil }
            } else if c == "\"" || c == "'" {
                if previous == " " || previous == "[" || previous == "," || previous == "{" || previous == ":"
                    || index == text.startIndex
                {
                    quote = c
                }
            } else if c == "#", previous == " " || previous == "\t" {
                return text[..<index].trimmingSpaces
            }
            previous = c
        }
        return text.trimmingSpaces
    }

    struct Parser {
        var lines: [Line]
        var position = 0

        mutating func block(indent: Int) throws(ParseError) -> Node {
            guard position < lines.count else { return .scalar("") }
            let line = lines[position]
            if line.text == "-" || line.text.hasPrefix("- ") { return try sequence(indent: line.indent) }
            if splitKey(line.text) == nil {
                position += 1
                return scalar(line.text)
            }
            return try mapping(indent: indent)
        }

        mutating func sequence(indent: Int) throws(ParseError) -> Node {
            var items: [Node] = []
            while position < lines.count, lines[position].indent == indent,
                lines[position].text == "-" || lines[position].text.hasPrefix("- ")
            {
                let line = lines[position]
                let rest = line.text.dropFirst(1).drop { $0 == " " }
                if rest.isEmpty {
                    position += 1
                    items.append(try child(of: indent, sequenceAllowed: false))
                } else if splitKey(rest) != nil || rest.hasPrefix("- ") {
                    // `- key: value` opens a mapping at the column of `key`: read the item as that block.
                    let column = indent + (line.text.count - rest.count)
                    lines[position] = Line(indent: column, text: rest, number: line.number)
                    items.append(try block(indent: column))
                } else {
                    position += 1
                    items.append(try value(rest, line: line, indent: indent))
                }
            }
            return .sequence(items)
        }

        mutating func mapping(indent: Int) throws(ParseError) -> Node {
            var entries: [(key: String, value: Node)] = []
            while position < lines.count, lines[position].indent == indent {
                let line = lines[position]
                guard let entry = splitKey(line.text) else {
                    throw ParseError(line: line.number, message: "expected `key: value`, found \"\(line.text)\"")
                }
                let (key, rest) = entry
                position += 1
                let node: Node
                if key == "<<" {
                    node = .unsupported(String(rest))
                } else if rest.isEmpty {
                    node = try child(of: indent, sequenceAllowed: true)
                } else {
                    node = try value(rest, line: line, indent: indent)
                }
                entries.append((key: unquote(key), value: node))
            }
            if position < lines.count, lines[position].indent > indent {
                let line = lines[position]
                throw ParseError(line: line.number, message: "unexpected indentation before \"\(line.text)\"")
            }
            return .mapping(entries)
        }

        /// The block under a key or `-` with nothing after it: deeper lines, or (under a key) a sequence at the key's
        /// own indentation, which YAML allows.
        mutating func child(of indent: Int, sequenceAllowed: Bool) throws(ParseError) -> Node {
            guard position < lines.count else { return .scalar("") }
            let next = lines[position]
            if next.indent > indent { return try block(indent: next.indent) }
            if sequenceAllowed, next.indent == indent, next.text == "-" || next.text.hasPrefix("- ") {
                return try sequence(indent: indent)
            }
            return .scalar("")
        }

        /// A value written after `key:` or `- `.
        mutating func value(_ text: Substring, line: Line, indent: Int) throws(ParseError) -> Node {
            var text = text
            if text.hasPrefix("&") {  // an anchor: the value is read, the name is not kept
                text = text.drop { $0 != " " }.drop { $0 == " " }
                if text.isEmpty { return try child(of: indent, sequenceAllowed: true) }
            }
            if text.hasPrefix("*") { return .unsupported(String(text)) }
            if text.hasPrefix("!") {  // a tag (`!reset`, `!override`): the value as written
                text = text.drop { $0 != " " }.drop { $0 == " " }
            }
            if text.first == "|" || text.first == ">" {
                var body: [Substring] = []
                while position < lines.count, lines[position].indent > indent || lines[position].text.isEmpty {
                    body.append(lines[position].text)
                    position += 1
                }
                return .scalar(body.joined(separator: text.first == "|" ? "\n" : " "))
            }
            if text.first == "[" || text.first == "{" {
                var flow = String(text)
                // A flow collection may go on over the next lines: join them until the brackets close.
                while !Self.balanced(flow), position < lines.count, lines[position].indent > indent {
                    flow += " " + lines[position].text
                    position += 1
                }
                var reader = FlowReader(text: Array(flow), line: line.number)
                return try reader.read()
            }
            return scalar(text)
        }

        func scalar(_ text: Substring) -> Node {
            .scalar(unquote(text))
        }

        static func balanced(_ text: String) -> Bool {
            var depth = 0
            var quote: Character?
            for c in text {
                if let open = quote {
                    if c == open { quote = nil }
                } else if c == "\"" || c == "'" {
                    quote = c
                } else if c == "[" || c == "{" {
                    depth += 1
                } else if c == "]" || c == "}" {
                    depth -= 1
                }
            }
            return depth <= 0
        }
    }

    /// `key: rest` or `key:` (rest empty); nil when the line is no mapping entry. A quoted key may hold a colon.
    static func splitKey(_ text: Substring) -> (Substring, Substring)? {
        var quote: Character?
        var index = text.startIndex
        if let first = text.first, first == "\"" || first == "'" { quote = first }
        if quote != nil { index = text.index(after: index) }
        while index < text.endIndex {
            let c = text[index]
            if let open = quote {
                if c == open { quote = nil }
            } else if c == ":" {
                let after = text.index(after: index)
                if after == text.endIndex || text[after] == " " {
                    let key = text[..<index].trimmingSpaces
                    if key.isEmpty || key.first == "[" || key.first == "{" { return nil }
                    return (key, text[after...].trimmingSpaces)
                }
            } else if quote == nil, index == text.startIndex, c == "[" || c == "{" {
                return nil
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// A scalar's text: quotes removed (`''` in single quotes is a quote; the usual escapes in double quotes).
    static func unquote(_ text: Substring) -> String {
        let text = text.trimmingSpaces
        guard text.count >= 2, let first = text.first, first == text.last, first == "\"" || first == "'" else {
            return String(text)
        }
        let inner = text.dropFirst().dropLast()
        if first == "'" { return inner.replacingOccurrences(of: "''", with: "'") }
        var out = ""
        var escaped = false
        for c in inner {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// One flow collection (`[a, "b", {c: d}]`), read character by character.
    struct FlowReader {
        let text: [Character]
        let line: Int
        var index = 0

        mutating func read() throws(ParseError) -> Node {
            skipSpaces()
            guard index < text.count else { return .scalar("") }
            switch text[index] {
            case "[":
                index += 1
                var items: [Node] = []
                while true {
                    skipSpaces()
                    guard index < text.count else { throw ParseError(line: line, message: "unclosed `[`") }
                    if text[index] == "]" {
                        index += 1
                        return .sequence(items)
                    }
                    items.append(try read())
                    skipSpaces()
                    if index < text.count, text[index] == "," { index += 1 }
                }
            case "{":
                index += 1
                var entries: [(key: String, value: Node)] = []
                while true {
                    skipSpaces()
                    guard index < text.count else { throw ParseError(line: line, message: "unclosed `{`") }
                    if text[index] == "}" {
                        index += 1
                        return .mapping(entries)
                    }
                    let key = token(stoppingAtColon: true)
                    skipSpaces()
                    var value = Node.scalar("")
                    if index < text.count, text[index] == ":" {
                        index += 1
                        value = try read()
                    }
                    entries.append((key: key, value: value))
                    skipSpaces()
                    if index < text.count, text[index] == "," { index += 1 }
                }
            default:
                return .scalar(token(stoppingAtColon: false))
            }
        }

        /// A scalar up to `,`, `]`, `}` (and `: ` for a key), quotes honoured.
        mutating func token(stoppingAtColon: Bool) -> String {
            skipSpaces()
            if index < text.count, text[index] == "\"" || text[index] == "'" {
                let quote = text[index]
                let start = index
                index += 1
                while index < text.count {
                    if text[index] == "\\", quote == "\"" {
                        index += 2
                        continue
                    }
                    if text[index] == quote {
                        index += 1
                        break
                    }
                    index += 1
                }
                return unquote(Substring(String(text[start..<min(index, text.count)])))
            }
            let start = index
            while index < text.count {
                let c = text[index]
                if c == "," || c == "]" || c == "}" { break }
                if stoppingAtColon, c == ":", index + 1 >= text.count || text[index + 1] == " " { break }
                index += 1
            }
            return String(String(text[start..<index]).trimmingSpaces)
        }

        mutating func skipSpaces() {
            while index < text.count, text[index] == " " || text[index] == "\t" { index += 1 }
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        let s = Substring(self)
        let start = s.firstIndex { $0 != " " && $0 != "\t" } ?? s.endIndex
        let end = s.lastIndex { $0 != " " && $0 != "\t" }.map { s.index(after: $0) } ?? start
        return start < end ? s[start..<end] : s[start..<start]
    }
}
