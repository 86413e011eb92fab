/// How a command ended and what it printed.
package struct ProcessResult: Sendable {
    package let argv: [String]
    /// The exit code; 128 + the signal number when a signal killed it (as a shell reports it).
    package let status: Int32
    /// Standard output, at most the runner's `stdoutLimit` bytes (the beginning when it printed more).
    package let stdout: String
    /// Standard output and standard error interleaved line by line as they arrived: the last
    /// `outputTailLimit` bytes, prefixed with "…" when cut.
    package let outputTail: String
    package let duration: Duration

    package var succeeded: Bool { status == 0 }

    package init(argv: [String], status: Int32, stdout: String, outputTail: String, duration: Duration) {
        self.argv = argv
        self.status = status
        self.stdout = stdout
        self.outputTail = outputTail
        self.duration = duration
    }
}
