import ArgumentParser
import ReconcilerCore

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Deploy an earlier commit (HEAD is the deployed commit, so HEAD~1 works).",
        discussion:
            "Holds automatic syncs on the commit rolled back from until the remote moves or `reconciler resume`."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The revision to deploy: HEAD~1, a sha, a tag.")
    var revision: String

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "rollback", locking: true)
            let outcome = try await session.reconciler.rollback(to: revision)
            if outcome == .succeeded {
                Console.line("Automatic syncs are held until the remote moves; `reconciler resume` releases the hold.")
            }
            return finish(outcome)
        }
    }
}
