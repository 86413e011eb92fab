import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`, waited for by its own pid. Tests start processes only this way or
/// through the product's `ProcessRunner`, never with Foundation's `Process`: neither reaps another's children or
/// lends them its descriptors, so suites that start processes can run in parallel.
package final class SpawnedProcess: Sendable {
    package let pid: pid_t
    private let status = Mutex<Int32?>(nil)

    /// Starts `argv` (looked up on `PATH`) with the test process's environment plus `environment`, in `directory`,
    /// reading stdin from the file `stdin` and writing stdout and stderr to the given files.
    package init(
        _ argv: [String],
        in directory: String? = nil,
        environment: [String: String] = [:],
        stdin: String = "/dev/null",
        stdout: String = "/dev/null",
        stderr: String = "/dev/null"
    ) throws {
        // env looks the program up on PATH and enters the directory, in the child.
        let full = ["/usr/bin/env"] + (directory.map { ["-C", $0] } ?? []) + ["--"] + argv
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if stderr == stdout {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        // No other descriptor of this process (another test's pipes, sockets) leaks into the child.
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let cEnvironment = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for entry in cEnvironment { free(entry) } }
        let cArguments = full.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, full[0], &actions, &attributes, cArguments, cEnvironment)
        guard rc == 0 else {
            throw SpawnError(message: "posix_spawn \(argv.joined(separator: " ")): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
    }

    /// Whether the child still runs (a child that ended is reaped here, and its status kept).
    package var isRunning: Bool {
        status.withLock { known in
            if known != nil { return false }
            var raw: Int32 = 0
            let rc = waitpid(pid, &raw, WNOHANG)
            if rc == pid { known = Self.exitStatus(raw) }
            return rc == 0
        }
    }

    /// Waits for the child to end: its exit status, or 128 + the signal that killed it.
    @discardableResult
    package func wait() -> Int32 {
        if let known = status.withLock({ $0 }) { return known }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 {
            if errno != EINTR { return status.withLock { $0 } ?? -1 }
        }
        let code = Self.exitStatus(raw)
        status.withLock { $0 = code }
        return code
    }

    /// Sends `signal` if the child still runs.
    package func kill(_ signal: Int32 = SIGTERM) {
        if isRunning { _ = Glibc.kill(pid, signal) }
    }

    private static func exitStatus(_ raw: Int32) -> Int32 {
        raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }
}

package struct SpawnError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
