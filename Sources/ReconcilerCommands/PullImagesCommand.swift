import ArgumentParser
import ReconcilerCore

struct PullImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull-images",
        abstract: "Pull every unit's images; bring the running units whose images changed up again (health-gated)."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "pull-images", locking: true)
            let result = try await session.reconciler.pullImages()
            var code: Int32 = 0
            if let outcome = result.outcome {
                code = finish(outcome)
            } else {
                Console.line("No running unit has a newer image.")
            }
            if !result.keptLocal.isEmpty {
                Console.line(
                    "Kept local images (no registry answered with a newer one) for: "
                        + result.keptLocal.map(\.unit).joined(separator: ", ")
                )
            }
            if !result.failedPulls.isEmpty {
                for failure in result.failedPulls { Console.error("\(failure.unit): pull failed: \(failure.message)") }
                if code == 0 { code = ReconcilerError.ExitCode.configuration.rawValue }
            }
            return code
        }
    }
}
