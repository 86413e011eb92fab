import Foundation
import Logging
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the external commands the reconciler needs (docker, docker compose, nixos-rebuild, the
/// system switch): an argument vector, never a shell; a timeout; bounded output.
///
/// Each command starts in a session and process group of its own, so that on timeout or
/// cancellation the whole tree it started gets SIGTERM, and SIGKILL after ``terminationGrace``,
/// rather than only the direct child.
package struct ProcessRunner: Sendable {
    package let logger: Logger
    /// How long a command that timed out or was cancelled gets between SIGTERM and SIGKILL.
    package let terminationGrace: Duration
    /// Masks secrets in what commands print, where their output enters the program: every line handed to `onLine`
    /// and the kept output tail (``ProcessResult/outputTail``, ``ProcessError/outputTail``). stdout, which callers
    /// parse (`compose ps --format json`), is kept as printed: mask it before showing it.
    package var masker: SecretMasker?

    /// - Parameters:
    ///   - logger: Receives a debug line per command (`process.argv`, `process.status`, `process.duration`).
    ///   - terminationGrace: Time between SIGTERM and SIGKILL when a command must be stopped.
    package init(logger: Logger, terminationGrace: Duration = .seconds(5), masker: SecretMasker? = nil) {
        self.logger = logger
        self.terminationGrace = terminationGrace
        self.masker = masker
    }

    /// Runs `argv` and waits for it. A non-zero exit is a result, not an error.
    /// - Parameters:
    ///   - argv: The program (looked up on PATH unless it contains a `/`) and its arguments.
    ///   - directory: The working directory; nil for this process's.
    ///   - environment: Variables added to (or replacing those of) the inherited environment.
    ///   - timeout: How long the command may run before it and its children are killed.
    ///   - stdoutLimit: The most stdout kept in ``ProcessResult/stdout``; the rest is read and dropped.
    ///   - outputTailLimit: The most interleaved output kept in ``ProcessResult/outputTail``.
    ///   - onLine: Called with each line of stdout and stderr as it arrives (without the newline), from
    ///     the tasks reading the two pipes, possibly at the same time: keep it quick and thread-safe.
    ///   - input: Bytes written to the command's standard input, which is then closed; nil for none.
    /// - Throws: ``ProcessError``: not found, bad directory, launch failed, timed out, cancelled.
    package func run(
        _ argv: [String],
        in directory: String? = nil,
        environment: [String: String] = [:],
        timeout: Duration,
        stdoutLimit: Int = 4 << 20,
        outputTailLimit: Int = 16 << 10,
        onLine: (@Sendable (String) -> Void)? = nil,
        input: [UInt8]? = nil
    ) async throws(ProcessError) -> ProcessResult {
        func failure(_ code: ProcessError.Code, _ message: String, tail: String = "") -> ProcessError {
            ProcessError(code: code, argv: argv, directory: directory, message: message, outputTail: tail)
        }
        guard let name = argv.first, !name.isEmpty else { throw failure(.launchFailed, "is an empty command") }
        if let directory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw failure(.badDirectory, "cannot run: the working directory does not exist") }
        }
        let executable = try Self.resolve(name, directory: directory, environment: environment, argv: argv)
        if input != nil { _ = Self.sigpipeIgnored }

        var options = PlatformOptions()
        options.createSession = true
        // Used by Subprocess when the running task is cancelled, which is also how a timeout stops it.
        options.teardownSequence = [
            .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: terminationGrace)
        ]
        let configuration = Configuration(
            executable: .path(FilePath(executable)),
            arguments: Arguments(executablePathOverride: name, remainingValues: Array(argv.dropFirst())),
            environment: .inherit.updating(
                Dictionary(environment.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) }) { $1 }
            ),
            workingDirectory: directory.map { FilePath($0) },
            platformOptions: options
        )

        let capture = OutputCapture(
            stdoutLimit: stdoutLimit,
            tailLimit: outputTailLimit,
            onLine: onLine,
            masker: masker
        )
        let commandLine = ProcessError.commandLine(argv)
        logger.debug(
            "running \(commandLine)",
            metadata: ["process.argv": .string(commandLine), "process.directory": .string(directory ?? ".")]
        )

        let clock = ContinuousClock()
        let start = clock.now
        let run = await Self.runWithTimeout(configuration, input: input, capture: capture, timeout: timeout)
        let duration = clock.now - start

        if run.timedOut || run.cancelled {
            if let group = run.processGroup {
                let deadline = (run.stopRequestedAt ?? clock.now) + terminationGrace
                await Self.killRemainingGroup(group, deadline: deadline)
            }
            let tail = capture.outputTail
            logger.debug(
                "\(commandLine) \(run.timedOut ? "timed out" : "was cancelled")",
                metadata: ["process.argv": .string(commandLine), "process.duration": .string("\(duration)")]
            )
            if run.timedOut {
                throw failure(.timedOut, "timed out after \(ConfigDuration.format(timeout))", tail: tail)
            }
            let after = ConfigDuration.format(duration.rounded(to: 0.1))
            throw failure(.cancelled, "was cancelled after \(after)", tail: tail)
        }

        let status: Int32
        switch run.outcome {
        case .success(.exited(let code)): status = code
        case .success(.signaled(let signal)): status = 128 + signal
        case .failure(let error):
            throw Self.translate(
                error,
                argv: argv,
                directory: directory,
                executable: executable,
                tail: capture.outputTail
            )
        case nil:
            throw failure(.ioFailed, "ended without a status")
        }
        let result = ProcessResult(
            argv: argv,
            status: status,
            stdout: capture.stdout,
            outputTail: capture.outputTail,
            duration: duration
        )
        logger.debug(
            "\(commandLine) exited \(status)",
            metadata: [
                "process.argv": .string(commandLine), "process.status": .stringConvertible(status),
                "process.duration": .string("\(duration)"),
            ]
        )
        return result
    }
}

// MARK: - Running

extension ProcessRunner {
    /// A command that exits without reading all of its `input` would otherwise kill this whole process with SIGPIPE
    /// when the rest is written; with SIGPIPE ignored the write fails with EPIPE and the run reports it. Children
    /// start with every signal back at its default (Subprocess resets them), so they are not affected.
    private static let sigpipeIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    private struct Run: Sendable {
        var outcome: Result<TerminationStatus, any Error>?
        var timedOut = false
        var cancelled = false
        var processGroup: pid_t?
        var stopRequestedAt: ContinuousClock.Instant?
    }

    private enum Event: Sendable {
        case finished(Result<TerminationStatus, any Error>, pid_t?)
        case timerFired(ContinuousClock.Instant)
        case timerStopped
    }

    /// Runs the command in one child task and a timer in another; whichever ends first cancels the
    /// other. Cancelling the command's task makes Subprocess run the teardown sequence on its group.
    private static func runWithTimeout(
        _ configuration: Configuration,
        input: [UInt8]?,
        capture: OutputCapture,
        timeout: Duration
    ) async -> Run {
        await withTaskGroup(of: Event.self) { group in
            group.addTask {
                let processGroup = ProcessGroupBox()
                do {
                    let status =
                        if let input {
                            try await launch(configuration, writing: input, capture, processGroup)
                        } else {
                            try await launch(configuration, input: .none, capture, processGroup)
                        }
                    return .finished(.success(status), processGroup.value)
                } catch {
                    return .finished(.failure(error), processGroup.value)
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timerFired(ContinuousClock.now)
                } catch {
                    return .timerStopped
                }
            }
            var run = Run()
            for await event in group {
                switch event {
                case .finished(let outcome, let processGroup):
                    run.outcome = outcome
                    run.processGroup = processGroup
                    group.cancelAll()
                case .timerFired(let at) where run.outcome == nil:
                    run.timedOut = true
                    run.stopRequestedAt = at
                    group.cancelAll()
                case .timerFired, .timerStopped:
                    break
                }
            }
            if !run.timedOut, Task.isCancelled { run.cancelled = true }
            return run
        }
    }

    /// Starts the command with `input` on its stdin and reads both output streams into `capture` until it ends.
    private static func launch<Input: InputProtocol>(
        _ configuration: Configuration,
        input: Input,
        _ capture: OutputCapture,
        _ processGroup: ProcessGroupBox
    ) async throws -> TerminationStatus {
        try await Subprocess.run(configuration, input: input, output: .sequence, error: .sequence) { execution in
            processGroup.set(execution.processIdentifier.value)
            await withTaskGroup(of: Void.self) { readers in
                readers.addTask { await capture.pump(execution.standardOutput, .stdout) }
                readers.addTask { await capture.pump(execution.standardError, .stderr) }
            }
        }.terminationStatus
    }

    /// Starts the command, writes `input` to its stdin (then closes it) while reading both output streams into
    /// `capture`, until it ends. A command that exits without reading all of its input is not an error here (its
    /// exit status says how it ended): the failed write is dropped. (Subprocess's own `.array` input leaves the pipe
    /// open when the write fails, which traps.)
    private static func launch(
        _ configuration: Configuration,
        writing input: [UInt8],
        _ capture: OutputCapture,
        _ processGroup: ProcessGroupBox
    ) async throws -> TerminationStatus {
        try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .sequence) { execution in
            processGroup.set(execution.processIdentifier.value)
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    _ = try? await execution.standardInputWriter.write(input)
                    try? await execution.standardInputWriter.finish()
                }
                tasks.addTask { await capture.pump(execution.standardOutput, .stdout) }
                tasks.addTask { await capture.pump(execution.standardError, .stderr) }
            }
        }.terminationStatus
    }

    /// Subprocess's teardown signals the group only while the direct child lives; a grandchild
    /// that survived SIGTERM (or whose parent exited first) is killed here once the grace is over.
    private static func killRemainingGroup(_ group: pid_t, deadline: ContinuousClock.Instant) async {
        // A fresh task: the caller may be cancelled, and its sleeps would return at once.
        await Task {
            while ContinuousClock.now < deadline {
                if !hasLiveMembers(group) { return }
                try? await Task.sleep(for: .milliseconds(20))
            }
            _ = kill(-group, SIGKILL)
        }.value
    }

    /// Whether any process of the group still runs. A zombie does not count: it is dead, only
    /// waiting for its new parent (init, which some containers run lazily) to reap it.
    private static func hasLiveMembers(_ group: pid_t) -> Bool {
        guard kill(-group, 0) == 0 else { return false }  // ESRCH: nobody left, not even a zombie
        #if os(Linux)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return true }
        for entry in entries where entry.first?.isNumber == true {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm) ": state, ppid, pgrp, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, fields[2] == "\(group)", fields[0] != "Z", fields[0] != "X" { return true }
        }
        return false
        #else
        return true
        #endif
    }

    /// A regular file this process may execute.
    package static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// The first executable `name` in the absolute directories of `searchPath` (a `PATH` value), as a shell finds it.
    package static func executable(named name: String, searchPath: String) -> String? {
        searchPath.split(separator: ":").lazy.filter { $0.hasPrefix("/") }.map { "\($0)/\(name)" }
            .first(where: isExecutableFile)
    }

    /// The executable `name` stands for: a path (relative to `directory`) when it contains a `/`,
    /// else the first executable file of that name on PATH (the child's PATH when it is overridden).
    private static func resolve(
        _ name: String,
        directory: String?,
        environment: [String: String],
        argv: [String]
    ) throws(ProcessError) -> String {
        if name.contains("/") {
            let base = directory ?? FileManager.default.currentDirectoryPath
            let path = name.hasPrefix("/") ? name : (base as NSString).appendingPathComponent(name)
            guard isExecutableFile(path) else {
                throw ProcessError(
                    code: .notFound,
                    argv: argv,
                    directory: directory,
                    message: "cannot run: \(path) is not an executable file"
                )
            }
            return path
        }
        let searchPath =
            environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        if let found = executable(named: name, searchPath: searchPath) { return found }
        throw ProcessError(
            code: .notFound,
            argv: argv,
            directory: directory,
            message: "cannot run: `\(name)` was not found on PATH (\(searchPath)) — install it or fix PATH"
        )
    }

    private static func translate(
        _ error: any Error,
        argv: [String],
        directory: String?,
        executable: String,
        tail: String
    ) -> ProcessError {
        guard let error = error as? SubprocessError else {
            return ProcessError(
                code: .ioFailed,
                argv: argv,
                directory: directory,
                message: "failed: \(error)",
                outputTail: tail
            )
        }
        let code: ProcessError.Code
        switch error.code {
        case .executableNotFound: code = .notFound
        case .failedToChangeWorkingDirectory: code = .badDirectory
        case .spawnFailed: code = .launchFailed
        default: code = .ioFailed
        }
        return ProcessError(
            code: code,
            argv: argv,
            directory: directory,
            message: "failed (\(executable)): \(error)",
            outputTail: tail
        )
    }
}

/// The child's pid (= its process group, as it leads its own session), handed out of Subprocess's closure.
private final class ProcessGroupBox: Sendable {
    private let storage = Mutex<pid_t?>(nil)
    func set(_ pid: pid_t) { storage.withLock { $0 = pid } }
    var value: pid_t? { storage.withLock { $0 } }
}
