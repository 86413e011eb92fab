import ArgumentParser
import ReconcilerCore

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Take units' containers down (compose down)."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Unit ids.")
    var units: [String]

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "stop", locking: true)
            try await session.reconciler.stop(units)
            return 0
        }
    }
}
