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
            let config = try session.reconciler.workTreeConfig()
            let docker = Docker(compose: config.services.compose, runner: session.reconciler.runner)
            let result = try await docker.prune()
            let output = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if !output.isEmpty { Console.line(output) }
            guard result.succeeded else {
                Console.error("docker system prune exited \(result.status): \(result.outputTail.lastLines(5))")
                return ReconcilerError.ExitCode.configuration.rawValue
            }
            return 0
        }
    }
}
