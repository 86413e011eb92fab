/// A failure of the state database: which file, what went wrong, and what an operator can do.
package struct StateError: Error, Sendable, CustomStringConvertible {
    /// Closed: a `switch` over it is exhaustive.
    package enum Code: String, Hashable, Sendable, CustomStringConvertible {

        /// The state directory or database file cannot be created or opened.
        case unavailable = "unavailable"
        /// The file is not a SQLite database, or SQLite reports it damaged.
        case corrupt = "corrupt"
        /// The file was migrated by a newer reconciler than this one.
        case newerSchema = "newer-schema"
        /// A deployment or step id that is not in the database.
        case notFound = "not-found"
        /// Any other SQLite failure (disk full, read-only file system, busy for too long).
        case database = "database"

        package var description: String { rawValue }
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
