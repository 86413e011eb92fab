import ArgumentParser
import Logging
import ReconcilerCore
import ReconcilerServer

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Fetch, and deploy the remote branch head if it is new (one shot)."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("dry-run"), help: "Fetch and print the plan; change nothing.")
    var dryRun = false

    @Flag(
        name: .customLong("accept-rewrite"),
        help: "Deploy the remote head even though it does not descend from the deployed commit (a force-push)."
    )
    var acceptRewrite = false

    func run() async throws {
        try await runCommand {
            var logger = Logger(label: "reconciler")
            logger.logLevel = global.verbose ? .debug : .warning
            let forge = dryRun ? nil : try ForgeStatuses.make(global, logger: logger)
            let session = try Session.open(
                global,
                command: "sync",
                locking: !dryRun,
                reporter: ForgeStatuses.reporter(ConsoleReporter(verbose: global.verbose), forge)
            )
            let store = session.reconciler.store
            forge?.latestDeployment { try? store.deployments(limit: 1).first?.id }
            let outcome = try await session.reconciler.sync(dryRun: dryRun, acceptRewrite: acceptRewrite)
            if let forge {
                // The deploy is done: the forge gets a bounded moment for its status, never more.
                forge.finishedPended(outcome)
                if await !forge.drain(within: .seconds(30)) {
                    Console.warning("the forge did not take the commit status within 30 s; the deploy itself is done")
                }
            }
            return finish(outcome)
        }
    }
}
