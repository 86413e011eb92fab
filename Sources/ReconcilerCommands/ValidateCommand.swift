import ArgumentParser
import ReconcilerCore

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Run every check of a deploy (config, compose config, .env keys, system.check) and the .env audit on the work tree."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "validate", locking: false)
            var failures = await session.reconciler.validateWorkTree()
            // A reconciler.json that does not load is already reported above.
            if let tree = try? WorkTree.open(global) {
                do {
                    failures += try tree.secretsFailures()
                } catch {
                    failures.append(ValidationFailure(unit: ".env", check: "secrets", message: "\(error)"))
                }
            }
            if failures.isEmpty {
                Console.line("All checks passed.")
                return 0
            }
            for f in failures.map(Console.masked) { Console.documentError("\(f.unit): \(f.message)") }
            return ReconcilerError.ExitCode.configuration.rawValue
        }
    }
}
