import ArgumentParser
import Logging
import ReconcilerCommands

@main
struct Entrypoint {
    static func main() async {
        // Logs go to stderr, so stdout stays clean for --json; the level is set per command (--verbose).
        // Every log line goes through the run's secret masker.
        LoggingSystem.bootstrap { label in ReconcilerCommand.maskingLogHandler(label: label) }
        // Global options are accepted before the subcommand too (`reconciler --repo DIR status`).
        let arguments = GlobalOptions.hoisted(Array(CommandLine.arguments.dropFirst()), root: ReconcilerCommand.self)
        do {
            var command = try ReconcilerCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            ReconcilerCommand.exitWithContractCode(for: error)
        }
    }
}
