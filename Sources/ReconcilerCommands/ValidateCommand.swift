import ArgumentParser
import ReconcilerCore

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Run every check of a deploy (config, compose config, .env keys, system.check) on the work tree."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "validate", locking: false)
            let failures = await session.reconciler.validateWorkTree()
            if failures.isEmpty {
                Console.line("All checks passed.")
                return 0
            }
            for f in failures { Console.error("\(f.unit): \(f.message)") }
            return ReconcilerError.ExitCode.configuration.rawValue
        }
    }
}
