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
            let logs = try session.reconciler.logsCommand(unit, follow: follow, tail: tail)
            let (argv, directory) = (logs.argv, logs.directory)
            // Replace this process with Compose: signals, the terminal and --follow behave as with Compose itself.
            guard chdir(directory) == 0 else {
                throw ReconcilerError(.configuration, "cannot enter \(directory): \(String(cString: strerror(errno)))")
            }
            let cArgs = argv.map { strdup($0) } + [nil]
            execvp(argv[0], cArgs)
            throw ReconcilerError(.configuration, "cannot run \(argv[0]): \(String(cString: strerror(errno)))")
        }
    }
}
