import ArgumentParser
import Foundation
import ReconcilerCore

struct SecretsSealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract:
            "Encrypt a unit's .env into services/<unit>/.env.sops (SOPS dotenv, age) to commit; no value is printed.",
        discussion: """
            Give every recipient that must open it: the host's (age-keygen -y of its sops.ageKeyFile) and your own, \
            so you can edit it with `sops`. Keys ending in _unencrypted are stored in clear; comments are left out.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The unit id (plex, sonarr/shows).")
    var unit: String

    @Option(name: .customLong("age"), help: "An age recipient (age1…); repeat for several.")
    var recipients: [String] = []

    func validate() throws {
        guard !recipients.isEmpty else { throw ValidationError("name at least one recipient: --age age1…") }
    }

    func run() async throws {
        try await runCommand {
            let tree = try WorkTree.open(global)
            guard let found = tree.units.units[unit] else {
                throw ReconcilerError(
                    .configuration,
                    "no unit named \(unit) under \(tree.config.services.root)/; units: \(tree.units.ids.joined(separator: ", "))"
                )
            }
            let ageRecipients = try recipients.map { text throws(SopsError) in try AgeRecipient(text) }
            let directory = "\(tree.repository.workdir)/\(found.directory)"
            guard let data = FileManager.default.contents(atPath: "\(directory)/.env") else {
                throw ReconcilerError(
                    .configuration,
                    "\(found.directory)/.env does not exist or cannot be read: seal encrypts the unit's .env"
                )
            }
            let plain = String(decoding: data, as: UTF8.self)
            SecretMasker.shared.addEnvFile(plain)
            let sealed = try SopsEncryptor.seal(plain, to: ageRecipients)
            let target = "\(found.directory)/\(SopsEnvironment.fileName)"
            let existed = FileManager.default.fileExists(atPath: "\(directory)/\(SopsEnvironment.fileName)")
            try Data(sealed.utf8).write(to: URL(fileURLWithPath: "\(tree.repository.workdir)/\(target)"))
            let count = try SopsDotenv.parse(sealed).keys.count
            Console.line(
                "\(existed ? "replaced" : "wrote") \(target): \(count) key(s) of \(found.directory)/.env, for "
                    + "\(ageRecipients.map(\.description).joined(separator: ", "))"
            )
            Console.line(
                "commit it; the server's .env still wins key by key while it exists (remove it once deployed)"
            )
            return 0
        }
    }
}
