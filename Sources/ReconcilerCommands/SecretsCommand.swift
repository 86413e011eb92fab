import ArgumentParser
import ReconcilerCore

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Manage the units' .env files (the secrets beside each .env.example) and their sealed .env.sops.",
        subcommands: [SecretsInitCommand.self, SecretsSealCommand.self]
    )
}

struct SecretsInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Copy .env.example to .env (mode 600) for units that have no .env yet; existing files are left alone."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Unit ids (plex, sonarr/shows).")
    var units: [String] = []

    @Flag(help: "Every unit.")
    var all = false

    func validate() throws {
        guard !units.isEmpty != all else { throw ValidationError("name units, or --all (exactly one of them)") }
    }

    func run() async throws {
        try await runCommand {
            let tree = try WorkTree.open(global)
            let known = tree.units.ids
            for id in units where !known.contains(id) {
                throw ReconcilerError(
                    .configuration,
                    "no unit named \(id) under \(tree.config.services.root)/; units: \(known.joined(separator: ", "))"
                )
            }
            var created = 0
            for id in all ? known : units {
                guard let unit = tree.units.units[id] else { continue }
                let path = "\(unit.directory)/.env"
                switch try SecretsAudit.initEnv(in: "\(tree.repository.workdir)/\(unit.directory)") {
                case .created:
                    created += 1
                    Console.line("created \(path) (mode 600) from .env.example: replace its placeholder values")
                case .exists:
                    Console.line("kept    \(path): it exists")
                case .sealed:
                    Console.line("kept    \(id): its secrets come from \(unit.directory)/\(SopsEnvironment.fileName)")
                case .noExample:
                    if !all { Console.line("skipped \(id): no .env.example") }
                }
            }
            Console.line("\(created) .env file(s) created. `reconciler validate` checks them.")
            return 0
        }
    }
}
