import Foundation

/// A parsed JSON document, kept as JSON so decoding can name every unknown key and wrong type itself.
indirect enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses `data`; a syntax error names `source` and, when Foundation reports it, the line and column.
    static func parse(_ data: Data, source: String) throws(ConfigError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ConfigError(
                code: .invalidJSON,
                source: source,
                message: "not valid JSON\(syntaxErrorDetail(in: data)); fix the file or remove it to use the defaults"
            )
        }
    }

    /// JSONDecoder does not say where JSON is broken; JSONSerialization does ("around character 19").
    private static func syntaxErrorDetail(in data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return ""
        } catch {
            let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
            guard let range = text.range(of: "around character ") else {
                return text.isEmpty ? "" : " (\(text.trimmingCharacters(in: .punctuationCharacters)))"
            }
            let digits = text[range.upperBound...].prefix { $0.isNumber }
            guard let offset = Int(digits) else { return "" }
            let before = Array(data.prefix(offset))
            let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
            let column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
            let reason = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            return " at line \(line), column \(column)\(reason.isEmpty ? "" : " (\(reason.lowercased()))")"
        }
    }

    /// How an error message names this value: `a string ("4")`, `null`, `an array`.
    var summary: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .integer(let value): "the number \(value)"
        case .number(let value): "the number \(value)"
        case .string(let value): "a string (\"\(value.prefix(40))\")"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
