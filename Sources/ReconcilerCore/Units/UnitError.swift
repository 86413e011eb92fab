/// A services tree that cannot be turned into units: which path, what is wrong, what to do.
package struct UnitError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Closed: a `switch` over it is exhaustive.
    package enum Code: String, Hashable, Sendable, CustomStringConvertible {

        /// A `.`/`..`/empty path component under the services root.
        case invalidPath = "invalid-path"
        /// A unit directory whose name holds a control character.
        case controlCharacter = "control-character"
        /// A unit whose Compose project name normalises to nothing.
        case emptyProjectName = "empty-project-name"
        /// Two units with the same Compose project name.
        case projectNameCollision = "project-name-collision"
        /// A Compose file that is a symlink pointing outside the repository.
        case symlinkEscapes = "symlink-escapes"
        /// A Compose file that is a symlink whose target cannot be read.
        case unreadableSymlink = "unreadable-symlink"
        /// A unit directory taking an id the reconciler reserves (`system`).
        case reservedID = "reserved-id"

        package var description: String { rawValue }
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
