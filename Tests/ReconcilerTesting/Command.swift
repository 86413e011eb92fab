import Foundation

/// What a command printed and how it ended.
package struct CommandResult: Sendable {
    package let status: Int32
    package let stdout: String
    package let stderr: String
    /// stdout then stderr, for messages.
    package var output: String { stdout + stderr }
}

package struct CommandFailure: Error, CustomStringConvertible {
    package let argv: [String]
    package let result: CommandResult
    package var description: String {
        "`\(argv.joined(separator: " "))` exited \(result.status):\n\(result.stdout)\(result.stderr)"
    }
}

/// Runs programs for tests and fixtures (the git CLI that builds fixture repositories, docker, the reconciler binary).
/// Product code never uses this: it goes through libgit2 and the core's process runner. Children are started with
/// `posix_spawn` (``SpawnedProcess``), never Foundation's `Process`, so tests that start processes can run in parallel.
package enum Command {
    /// Runs `argv` (looked up on PATH), waits, and returns what it printed. Never throws on a non-zero exit.
    @discardableResult
    package static func run(
        _ argv: [String],
        in directory: String? = nil,
        environment: [String: String] = [:],
        input: String? = nil
    ) throws -> CommandResult {
        // Files, not pipes: a chatty child can never block on a full pipe while we wait.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString)").path
        let (outPath, errPath, inPath) = (base + ".out", base + ".err", base + ".in")
        defer {
            for path in [outPath, errPath, inPath] { try? FileManager.default.removeItem(atPath: path) }
        }
        if let input { try Data(input.utf8).write(to: URL(fileURLWithPath: inPath)) }
        let child = try SpawnedProcess(
            argv,
            in: directory,
            environment: environment,
            stdin: input == nil ? "/dev/null" : inPath,
            stdout: outPath,
            stderr: errPath
        )
        let status = child.wait()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return CommandResult(status: status, stdout: stdout, stderr: stderr)
    }

    /// Runs `argv` and throws `CommandFailure` unless it exits 0. Returns stdout.
    @discardableResult
    package static func check(
        _ argv: [String],
        in directory: String? = nil,
        environment: [String: String] = [:],
        input: String? = nil
    ) throws -> String {
        let result = try run(argv, in: directory, environment: environment, input: input)
        guard result.status == 0 else { throw CommandFailure(argv: argv, result: result) }
        return result.stdout
    }
}
