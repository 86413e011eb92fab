import ArgumentParser
import ReconcilerCore

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Ensure units (and any dependency of theirs that is down) are up at the deployed commit.",
        discussion: """
            `reconciler deploy system` runs the system step (system.switch) again at the deployed commit, recorded as \
            a deployment like any other; with units beside it, the system goes first.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Unit ids (plex, sonarr/shows); system for the system step.")
    var units: [String] = []

    @Option(help: "A group from reconciler.json.")
    var group: String?

    @Flag(help: "Every unit.")
    var all = false

    func validate() throws {
        let chosen = (units.isEmpty ? 0 : 1) + (group == nil ? 0 : 1) + (all ? 1 : 0)
        guard chosen == 1 else {
            throw ValidationError("name units, or --group G, or --all (exactly one of them)")
        }
    }

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "deploy", locking: true)
            let selection: UnitSelection = all ? .all : group.map { .group($0) } ?? .units(units)
            return finish(try await session.reconciler.deploy(selection))
        }
    }
}
