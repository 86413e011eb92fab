import Foundation

/// A command that could not be run to completion: not found, not started, timed out, cancelled.
///
/// A command that ran and exited non-zero is not an error: ``ProcessRunner`` returns its
/// ``ProcessResult`` and the caller decides.
package struct ProcessError: Error, Sendable, CustomStringConvertible {
    /// Closed: a `switch` over it is exhaustive.
    package enum Code: String, Hashable, Sendable, CustomStringConvertible {

        /// `argv[0]` is not an executable file on PATH (or at the path given).
        case notFound = "not-found"
        /// The working directory does not exist or is not a directory.
        case badDirectory = "bad-directory"
        /// The process could not be started (permissions, bad environment, resource limits).
        case launchFailed = "launch-failed"
        /// The command ran longer than its timeout; it and its children were killed.
        case timedOut = "timed-out"
        /// The calling task was cancelled; the command and its children were killed.
        case cancelled = "cancelled"
        /// Reading the command's output or waiting for it failed.
        case ioFailed = "io-failed"

        package var description: String { rawValue }
    }

    package let code: Code
    package let argv: [String]
    /// The working directory, nil for the caller's.
    package let directory: String?
    /// What went wrong, in words (`timed out after 2m`, `not found on PATH (/usr/bin:/bin)`).
    package let message: String
    /// The end of what the command printed (stdout and stderr interleaved); empty if it never ran.
    package let outputTail: String

    package init(code: Code, argv: [String], directory: String?, message: String, outputTail: String = "") {
        self.code = code
        self.argv = argv
        self.directory = directory
        self.message = message
        self.outputTail = outputTail
    }

    /// `` `docker compose up -d` timed out after 2m in /opt/homelab/services/plex; last output: … ``
    package var description: String {
        var s = "`\(ProcessError.commandLine(argv))` \(message)"
        if let directory { s += " in \(directory)" }
        let last = outputTail.lastLines(10).trimmingTrailingWhitespace
        if !last.isEmpty { s += "; last output:\n\(last)" }
        return s
    }

    /// The command as a person would type it, quoting only what a shell would need quoted.
    package static func commandLine(_ argv: [String]) -> String {
        argv.map(quote).joined(separator: " ")
    }

    private static func quote(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                || "-_./:=@%+,".unicodeScalars.contains(scalar)
        }
        if plain, !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

extension String {
    fileprivate var trimmingTrailingWhitespace: String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
