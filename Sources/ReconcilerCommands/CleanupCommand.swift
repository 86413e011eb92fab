import ArgumentParser
import ReconcilerCore

struct CleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract:
            "Remove unused Docker data: `docker system prune -f` (stopped containers, unused networks, dangling images)."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "cleanup", locking: true)
            let result = try await session.reconciler.cleanup()
            guard result.succeeded else {
                Console.error("docker system prune exited \(result.status): \(result.outputTail.lastLines(5))")
                return ReconcilerError.ExitCode.configuration.rawValue
            }
            if !result.outputTail.isEmpty { Console.line(result.outputTail) }
            return 0
        }
    }
}
