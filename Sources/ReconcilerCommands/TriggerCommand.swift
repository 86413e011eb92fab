import ArgumentParser
import Foundation
import ReconcilerCore
import ReconcilerServer

struct TriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Ask the running daemon to poll now (for a post-receive hook).",
        discussion: """
            Talks to `reconciler run` over the unix socket reconciler.sock in the state directory. Exit 0: the \
            daemon took it (it polls right away, or right after the deploy it is running). Exit 1: no daemon runs.
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "trigger", locking: false)
            let stateDirectory = session.reconciler.store.directory
            _ = try TriggerSocket.send(stateDirectory: stateDirectory)
            Console.line("The daemon will poll now.")
            return 0
        }
    }
}
