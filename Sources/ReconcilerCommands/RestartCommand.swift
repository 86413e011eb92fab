import ArgumentParser
import ReconcilerCore

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Take units down and bring them up again at the deployed commit, health-gated."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Unit ids.")
    var units: [String]

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "restart", locking: true)
            return finish(try await session.reconciler.restart(units))
        }
    }
}
