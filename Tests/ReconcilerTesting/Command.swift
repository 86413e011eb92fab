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
/// Product code never uses this: it goes through libgit2 and the core's process runner.
package enum Command {
    /// Runs `argv` (looked up on PATH), waits, and returns what it printed. Never throws on a non-zero exit.
    @discardableResult
    package static func run(
        _ argv: [String],
        in directory: String? = nil,
        environment: [String: String] = [:],
        input: String? = nil
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        // Files, not pipes: a chatty child can never block on a full pipe while we wait.
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString).out")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        if let input {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(Data(input.utf8))
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return CommandResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
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
