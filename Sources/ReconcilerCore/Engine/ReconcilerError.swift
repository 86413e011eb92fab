/// An error that ends a command, with the exit code the contract gives it.
package struct ReconcilerError: Error, Sendable, CustomStringConvertible {
    /// The contract's exit codes.
    package enum ExitCode: Int32, Sendable {
        case ok = 0
        /// Usage or configuration error, including a target commit that fails validation (nothing changed) and a
        /// remote that cannot be fetched.
        case configuration = 1
        /// A deploy failed and was rolled back (or, with nothing to roll back to, stopped).
        case deployFailed = 2
        /// The rollback failed: degraded, no more automatic deploys until `reconciler resume`.
        case degraded = 3
        /// Another reconciler holds the lock.
        case locked = 4
        /// Drift or another refusal: local modifications of tracked files.
        case refused = 5
    }

    package let exitCode: ExitCode
    package let message: String

    package init(_ exitCode: ExitCode, _ message: String) {
        self.exitCode = exitCode
        self.message = message
    }

    package var description: String { message }

    package static func drift(_ files: [String], repo: String) -> ReconcilerError {
        let list = files.prefix(20).map { "  \($0)" }.joined(separator: "\n")
        let more = files.count > 20 ? "\n  … and \(files.count - 20) more" : ""
        return ReconcilerError(
            .refused,
            """
            refusing to deploy: tracked files in \(repo) were modified locally (drift):
            \(list)\(more)
            Commit and push the change from a clone, or discard it (git -C \(repo) checkout -- <file>), then sync again.
            """
        )
    }
}
