import ArgumentParser
import Dispatch
import Foundation
import ReconcilerCore

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show a unit's container logs.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A unit id.")
    var unit: String

    @Flag(name: [.short, .long], help: "Keep following new output.")
    var follow = false

    @Option(help: "Only the last N lines of each container.")
    var tail: Int?

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "logs", locking: false, reporter: SilentReporter())
            let logs = try await session.reconciler.logsCommand(unit, follow: follow, tail: tail)
            // Containers print what their `.env` gives them: Compose's output (or, for a Swarm stack, each service's
            // `docker service logs`, side by side) is read line by line through the run's masker and printed like
            // everything else (secrets masked, control characters escaped), never handed the terminal. Ctrl-C or
            // SIGTERM stops them with their process groups.
            let follow = follow
            let runner = session.reconciler.runner
            let commands = [logs.argv] + logs.alongside
            let directory = logs.directory
            let task = Task {
                try await withThrowingTaskGroup(of: Int32.self) { group in
                    for argv in commands {
                        group.addTask {
                            try await runner.run(
                                argv,
                                in: directory,
                                timeout: follow ? .seconds(100 * 365 * 86_400) : .seconds(600),
                                stdoutLimit: 0,
                                onLine: { Console.line($0) }
                            ).status
                        }
                    }
                    // The status is the first failing command's.
                    var status: Int32 = 0
                    for try await next in group where status == 0 { status = next }
                    return status
                }
            }
            let stops = [SIGINT, SIGTERM].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { task.cancel() }
                source.resume()
                return source
            }
            defer { for stop in stops { stop.cancel() } }
            do {
                return try await task.value
            } catch let error as ProcessError where error.code == .cancelled {
                return 130
            }
        }
    }
}
