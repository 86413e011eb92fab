import ArgumentParser
import ReconcilerCore

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
            let session = try Session.open(global, command: "sync", locking: !dryRun)
            return finish(try await session.reconciler.sync(dryRun: dryRun, acceptRewrite: acceptRewrite))
        }
    }
}
