import ArgumentParser
import Foundation
import ReconcilerCore

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show a unit's container logs.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A unit id.")
    var unit: String

    @Flag(name: [.short, .long], help: "Keep following new output.")
    var follow = false

    @Option(help: "Only the last N lines of each container.")
    var tail: Int?

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "logs", locking: false, reporter: SilentReporter())
            let logs = try await session.reconciler.logsCommand(unit, follow: follow, tail: tail)
            let (argv, directory) = (logs.argv, logs.directory)
            guard chdir(directory) == 0 else {
                throw ReconcilerError(.configuration, "cannot enter \(directory): \(String(cString: strerror(errno)))")
            }
            if !logs.alongside.isEmpty { return try Self.runSideBySide([argv] + logs.alongside) }
            // Replace this process with Compose: signals, the terminal and --follow behave as with Compose itself.
            let cArgs = argv.map { strdup($0) } + [nil]
            execvp(argv[0], cArgs)
            throw ReconcilerError(.configuration, "cannot run \(argv[0]): \(String(cString: strerror(errno)))")
        }
    }

    /// Several commands at once on this terminal (a Swarm stack's services, one `docker service logs` each); Ctrl-C
    /// reaches them all, as they share the terminal's process group. The status is the first failing one's.
    static func runSideBySide(_ commands: [[String]]) throws -> Int32 {
        var processes: [Process] = []
        for argv in commands {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = argv
            do {
                try process.run()
            } catch {
                for started in processes { started.terminate() }
                throw ReconcilerError(.configuration, "cannot run \(argv[0]): \(error)")
            }
            processes.append(process)
        }
        var status: Int32 = 0
        for process in processes {
            process.waitUntilExit()
            if status == 0 { status = process.terminationStatus }
        }
        return status
    }
}
