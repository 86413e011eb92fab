import ArgumentParser
import ReconcilerCore

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Release a hold or a degraded state, and let failed commits be retried."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "resume", locking: true)
            let released = try session.reconciler.resume()
            Console.line(
                released.isEmpty
                    ? "Nothing was held; failed commits may be retried by the next sync."
                    : "Released: \(released.joined(separator: "; ")). The next sync deploys the remote head."
            )
            return 0
        }
    }
}
