import ArgumentParser
import Foundation
import ReconcilerCore

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract:
            "What a sync would do, without side effects (no fetch: it plans against the last fetched remote head)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The commit deployed from (default: the deployed commit; none means a first deploy).")
    var from: String?

    @Option(help: "The commit deployed to (default: the remote branch head as last fetched).")
    var to: String?

    @Flag(help: "Print the plan as JSON (shape in docs/commands.md).")
    var json = false

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "plan", locking: false, reporter: SilentReporter())
            let plan = try await session.reconciler.plan(from: from, to: to)
            let shown = Console.masked(plan)
            Console.document(json ? shown.json() : PlanTable.render(shown))
            return 0
        }
    }
}
