import ArgumentParser
import ReconcilerCore

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Run every check of a deploy (config, compose config, .env keys, system.check) and the .env audit on the work tree; warn about secret-looking keys still holding their .env.example placeholder."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "validate", locking: false)
            var failures = await session.reconciler.validateWorkTree()
            var warnings: [ValidationFailure] = []
            // A reconciler.json that does not load is already reported above.
            if let tree = try? WorkTree.open(global) {
                do {
                    failures += try tree.secretsFailures()
                } catch {
                    failures.append(ValidationFailure(unit: ".env", check: "secrets", message: "\(error)"))
                }
                warnings = tree.placeholderWarnings()
            }
            // Warnings do not fail validation: a placeholder may be a value that works (a local service's default).
            for w in warnings { Console.warning("\(w.unit): \(w.message)") }
            if failures.isEmpty {
                Console.line(
                    warnings.isEmpty
                        ? "All checks passed." : "All checks passed, with \(warnings.count) warning(s) above."
                )
                return 0
            }
            for f in failures.map(Console.masked) { Console.documentError("\(f.unit): \(f.message)") }
            return ReconcilerError.ExitCode.configuration.rawValue
        }
    }
}
