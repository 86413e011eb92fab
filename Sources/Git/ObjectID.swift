/// A git object id (SHA-1), as 40 lower-case hex digits.
package struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    package let hex: String

    package init(hex: String) {
        self.hex = hex.lowercased()
    }

    /// The first 12 hex digits, as `git log --oneline` would abbreviate in a busy repository.
    package var short: String { String(hex.prefix(12)) }

    package var description: String { hex }

    package static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }
}
