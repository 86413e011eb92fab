import Foundation
import Logging
import ReconcilerTesting
import Synchronization
import Testing

@testable import ReconcilerCore

@Suite struct ProcessRunnerTests {
    let runner = ProcessRunner(logger: Logger(label: "test"), terminationGrace: .seconds(2))

    @Test func exitCodesAreResultsNotErrors() async throws {
        let ok = try await runner.run(["true"], timeout: .seconds(10))
        #expect(ok.status == 0)
        #expect(ok.succeeded)
        #expect(ok.argv == ["true"])

        let failed = try await runner.run(["sh", "-c", "exit 3"], timeout: .seconds(10))
        #expect(failed.status == 3)
        #expect(!failed.succeeded)

        let killed = try await runner.run(["sh", "-c", "kill -9 $$"], timeout: .seconds(10))
        #expect(killed.status == 128 + 9)
    }

    @Test func capturesStdoutAndInterleavesStderrInTheTail() async throws {
        // Each line is written only once the runner has read the one before (a handshake through files the
        // callback creates), so the order in the tail is the order of writing, not a race between two pipes.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runner.run(
            [
                "sh", "-c",
                #"wait_for() { while [ ! -e "$1" ]; do sleep 0.01; done; }; "#
                    + #"echo out1; wait_for "$0/out1"; echo err1 >&2; wait_for "$0/err1"; echo out2; printf 'no newline'"#,
                dir.path,
            ],
            timeout: .seconds(10)
        ) { line in
            FileManager.default.createFile(atPath: "\(dir.path)/\(line)", contents: nil)
        }
        #expect(result.stdout == "out1\nout2\nno newline")
        #expect(result.outputTail == "out1\nerr1\nout2\nno newline\n")
    }

    @Test func environmentIsAddedToTheInheritedOne() async throws {
        let result = try await runner.run(
            ["sh", "-c", #"printf '%s|%s' "$RECONCILER_TEST" "${PATH:+has-path}""#],
            environment: ["RECONCILER_TEST": "hello world"],
            timeout: .seconds(10)
        )
        #expect(result.stdout == "hello world|has-path")
    }

    @Test func runsInTheGivenDirectory() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runner.run(["pwd", "-P"], in: dir.path, timeout: .seconds(10))
        #expect(result.stdout == dir.path + "\n")

        // A relative program path is relative to that directory.
        try Data("#!/bin/sh\necho from-script\n".utf8).write(to: URL(fileURLWithPath: dir.appending("script.sh")))
        chmod(dir.appending("script.sh"), 0o755)
        let script = try await runner.run(["./script.sh"], in: dir.path, timeout: .seconds(10))
        #expect(script.stdout == "from-script\n")
    }

    @Test func missingExecutableIsNotFoundNamingIt() async throws {
        let error = await #expect(throws: ProcessError.self) {
            _ = try await runner.run(["reconciler-no-such-tool", "up"], timeout: .seconds(10))
        }
        #expect(error?.code == .notFound)
        #expect(error?.argv == ["reconciler-no-such-tool", "up"])
        #expect(error?.description.contains("`reconciler-no-such-tool up`") == true)
        #expect(error?.description.contains("not found on PATH") == true)

        let path = await #expect(throws: ProcessError.self) {
            _ = try await runner.run(["/nonexistent/docker"], timeout: .seconds(10))
        }
        #expect(path?.code == .notFound)
        #expect(path?.description.contains("/nonexistent/docker") == true)
    }

    @Test func missingDirectoryIsBadDirectory() async throws {
        let error = await #expect(throws: ProcessError.self) {
            _ = try await runner.run(["true"], in: "/nonexistent/services/plex", timeout: .seconds(10))
        }
        #expect(error?.code == .badDirectory)
        #expect(error?.description.contains("/nonexistent/services/plex") == true)
    }

    @Test func timeoutKillsTheWholeTree() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pidFile = dir.appending("grandchild.pid")
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: ProcessError.self) {
            _ = try await runner.run(
                ["sh", "-c", #"sleep 100 & echo $! > "$0"; echo started; sleep 100"#, pidFile],
                in: dir.path,
                timeout: .milliseconds(500)
            )
        }
        let elapsed = clock.now - start
        #expect(error?.code == .timedOut)
        #expect(error?.outputTail == "started\n")
        #expect(error?.description.contains("timed out after 500ms in \(dir.path); last output:\nstarted") == true)
        #expect(elapsed < .milliseconds(500) + runner.terminationGrace)

        let grandchild = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmed))
        #expect(isGone(grandchild))
    }

    @Test func childrenIgnoringSIGTERMAreKilledAfterTheGrace() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pidFile = dir.appending("grandchild.pid")
        let runner = ProcessRunner(logger: Logger(label: "test"), terminationGrace: .seconds(1))
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: ProcessError.self) {
            // SIG_IGN survives exec: neither the shell nor its sleep can be stopped with SIGTERM.
            _ = try await runner.run(
                ["sh", "-c", #"trap '' TERM; sleep 100 & echo $! > "$0"; wait"#, pidFile],
                timeout: .milliseconds(300)
            )
        }
        let elapsed = clock.now - start
        #expect(error?.code == .timedOut)
        // Never before the grace is over; the upper bound only says it ended (a loaded machine may be slow).
        #expect(elapsed >= .milliseconds(300) + .milliseconds(900))
        #expect(elapsed < .seconds(20))
        let grandchild = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmed))
        #expect(isGone(grandchild))
    }

    @Test func aChildExitingOnSIGTERMLeavesNoStubbornGrandchild() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pidFile = dir.appending("grandchild.pid")
        let runner = ProcessRunner(logger: Logger(label: "test"), terminationGrace: .seconds(1))
        let error = await #expect(throws: ProcessError.self) {
            // The shell dies on SIGTERM at once; its background job ignores SIGTERM.
            _ = try await runner.run(
                ["sh", "-c", #"(trap '' TERM; exec sleep 100) & echo $! > "$0"; sleep 100"#, pidFile],
                timeout: .milliseconds(300)
            )
        }
        #expect(error?.code == .timedOut)
        let grandchild = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmed))
        #expect(isGone(grandchild))
    }

    @Test func cancellingTheTaskKillsTheChild() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pidFile = dir.appending("child.pid")
        let runner = self.runner
        let task = Task {
            try await runner.run(["sh", "-c", #"echo $$ > "$0"; exec sleep 100"#, pidFile], timeout: .seconds(60))
        }
        var waited = 0
        while ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").isEmpty {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
            if waited > 500 {
                Issue.record("the child never started")
                return
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        task.cancel()
        let result = await task.result
        #expect(clock.now - start < .seconds(3))
        switch result {
        case .success: Issue.record("a cancelled run returned a result")
        case .failure(let error): #expect((error as? ProcessError)?.code == .cancelled)
        }
        let child = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmed))
        #expect(isGone(child))
    }

    @Test func onLineReceivesEveryLine() async throws {
        let lines = Mutex<[String]>([])
        let result = try await runner.run(
            ["sh", "-c", #"printf 'one\r\ntwo\n'; echo three >&2; printf 'four'"#],
            timeout: .seconds(10)
        ) { line in
            lines.withLock { $0.append(line) }
        }
        #expect(result.succeeded)
        #expect(lines.withLock { $0 }.sorted() == ["four", "one", "three", "two"])
        #expect(lines.withLock { $0 }.filter { $0 != "three" } == ["one", "two", "four"])
    }

    @Test func outputOverTheLimitsIsBounded() async throws {
        // 200,000 lines of "é" (3 bytes each with the newline) on stdout, then a marker on stderr once the runner has
        // read the last stdout line (the two pipes are read independently; the handshake orders them).
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await runner.run(
            [
                "sh", "-c",
                #"yes é | head -n 200000; echo end; while [ ! -e "$0/end" ]; do sleep 0.01; done; echo done >&2"#,
                dir.path,
            ],
            timeout: .seconds(30),
            stdoutLimit: 1001,
            outputTailLimit: 500
        ) { line in
            if line == "end" { FileManager.default.createFile(atPath: "\(dir.path)/end", contents: nil) }
        }
        #expect(result.succeeded)
        #expect(result.stdout.utf8.count <= 1001)
        #expect(result.stdout.utf8.count >= 998)
        #expect(result.stdout.hasPrefix("é\né\n"))
        #expect(!result.stdout.contains("\u{FFFD}"))
        #expect(result.outputTail.utf8.count <= 500)
        #expect(result.outputTail.hasPrefix("…"))
        #expect(result.outputTail.hasSuffix("é\nend\ndone\n"))
        #expect(!result.outputTail.contains("\u{FFFD}"))
    }

    @Test func errorDescriptionReadsLikeACommand() {
        let error = ProcessError(
            code: .timedOut,
            argv: ["docker", "compose", "up", "-d"],
            directory: "services/plex",
            message: "timed out after \(ConfigDuration.format(.seconds(120)))",
            outputTail: "a\nb\n"
        )
        #expect(error.description == "`docker compose up -d` timed out after 2m in services/plex; last output:\na\nb")
        #expect(ProcessError.commandLine(["sh", "-c", "echo 'hi' there"]) == #"sh -c 'echo '\''hi'\'' there'"#)
        #expect(ConfigDuration.format(.seconds(3600)) == "1h")
        #expect(ConfigDuration.format(.milliseconds(250)) == "250ms")
        #expect(ConfigDuration.format(.milliseconds(1_234).rounded(to: 0.1)) == "1.2s")
        #expect(ConfigDuration.format(.milliseconds(61_600).rounded()) == "62s")
    }
}

/// True when `pid` no longer runs: gone, or a zombie waiting for its (new) parent to reap it.
private func isGone(_ pid: Int32, within timeout: Duration = .seconds(2)) -> Bool {
    let deadline = ContinuousClock.now + timeout
    repeat {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state follows the command name, which is in parentheses.
        if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
        usleep(20_000)
    } while ContinuousClock.now < deadline
    return false
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// `input:` feeds the command's stdin and closes it (ssh-keygen -Y verify and gpg read the signed data there).
@Suite struct ProcessRunnerInputTests {
    @Test func inputReachesStdinAndIsClosed() async throws {
        let runner = ProcessRunner(logger: Logger(label: "test"))
        let bytes = Array("line one\nline two\n".utf8) + [0, 255]
        let result = try await runner.run(["sh", "-c", "wc -c; cat >/dev/null"], timeout: .seconds(10), input: bytes)
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(bytes.count)")
    }

    /// More input than a pipe holds, to a command that never reads it: the write fails (EPIPE), which neither kills
    /// this process (SIGPIPE) nor traps in Subprocess; the command's exit status is the result.
    @Test func aCommandThatExitsWithoutReadingItsInputIsAResult() async throws {
        let runner = ProcessRunner(logger: Logger(label: "test"))
        let bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<5 {
            let result = try await runner.run(["sh", "-c", "exit 3"], timeout: .seconds(10), input: bytes)
            #expect(result.status == 3)
        }
    }
}
