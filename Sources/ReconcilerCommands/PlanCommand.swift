import ArgumentParser
import Foundation
import Git
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
            let r = session.reconciler
            let config = try r.currentConfig()
            let toRev = to ?? "refs/remotes/\(config.remote)/\(config.branch)"
            let target: Commit
            do {
                target = try r.repository.commit(for: toRev)
            } catch {
                throw ReconcilerError(
                    .configuration,
                    to == nil
                        ? "no fetched remote head (\(toRev)): run `reconciler sync --dry-run` to fetch, or pass --to REV"
                        : "cannot resolve --to \(toRev): \(error)"
                )
            }
            var source: DeploySource?
            if let from {
                do {
                    source = try r.loadSource(try r.repository.commit(for: from))
                } catch {
                    throw ReconcilerError(.configuration, "cannot resolve --from \(from): \(error)")
                }
            } else if let deployed = try r.deployedCommit() {
                source = try r.loadSource(deployed)
            }
            let plan = try await r.plan(from: source, to: try r.loadTarget(target))
            Console.line(json ? plan.json() : PlanTable.render(plan))
            return 0
        }
    }
}
