/// A failure of the state database: which file, what went wrong, and what an operator can do.
package struct StateError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        package init(_ rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// The state directory or database file cannot be created or opened.
        package static let unavailable = Code("unavailable")
        /// The file is not a SQLite database, or SQLite reports it damaged.
        package static let corrupt = Code("corrupt")
        /// The file was migrated by a newer reconciler than this one.
        package static let newerSchema = Code("newer-schema")
        /// A deployment or step id that is not in the database.
        package static let notFound = Code("not-found")
        /// Any other SQLite failure (disk full, read-only file system, busy for too long).
        package static let database = Code("database")
    }

    package let code: Code
    /// The database file (`<stateDir>/state.sqlite`).
    package let path: String
    /// What failed, in words.
    package let message: String
    /// What an operator can do about it; nil when retrying is all there is.
    package let remedy: String?

    package init(code: Code, path: String, message: String, remedy: String? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.remedy = remedy
    }

    package var description: String {
        var s = "state database \(path): \(message)"
        if let remedy { s += " — \(remedy)" }
        return s
    }
}
