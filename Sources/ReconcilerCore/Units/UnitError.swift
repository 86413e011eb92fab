/// A services tree that cannot be turned into units: which path, what is wrong, what to do.
package struct UnitError: Error, Sendable, CustomStringConvertible, Equatable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        package init(_ rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// A `.`/`..`/empty path component under the services root.
        package static let invalidPath = Code("invalid-path")
        /// A unit directory whose name holds a control character.
        package static let controlCharacter = Code("control-character")
        /// A unit whose Compose project name normalises to nothing.
        package static let emptyProjectName = Code("empty-project-name")
        /// Two units with the same Compose project name.
        package static let projectNameCollision = Code("project-name-collision")
        /// A Compose file that is a symlink pointing outside the repository.
        package static let symlinkEscapes = Code("symlink-escapes")
        /// A Compose file that is a symlink whose target cannot be read.
        package static let unreadableSymlink = Code("unreadable-symlink")
        /// A unit directory taking an id the reconciler reserves (`system`).
        package static let reservedID = Code("reserved-id")
    }

    package let code: Code
    /// The repository-relative path at fault (for a collision, the first of the colliding directories).
    package let path: String
    /// What is wrong and what to do about it.
    package let message: String

    package init(code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    package var description: String { "\(path): \(message)" }
}
