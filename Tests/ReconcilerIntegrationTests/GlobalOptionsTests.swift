import Foundation
import ReconcilerTesting
import Testing

/// Global options before the subcommand as well as after it, on the built binary, and usage errors that exit 1 as
/// the contract says. No Docker engine is involved.
@Suite struct GlobalOptionsTests {
    /// A homelab with one service, the example of its `.env`, and a deploy clone; nothing is deployed.
    private func homelab() throws -> Homelab {
        let homelab = try Homelab()
        try homelab.commit(
            [
                "reconciler.json": homelab.config(),
                ".gitignore": ".env\n",
                "services/web/compose.yml": Homelab.service(version: "1"),
                "services/web/.env.example": "TZ=UTC\n",
            ],
            message: "initial"
        )
        try homelab.cloneDeploy()
        return homelab
    }

    /// The binary with exactly `args` (no options appended), the host file kept away from /etc.
    private func reconciler(_ args: [String], _ homelab: Homelab) throws -> CommandResult {
        try Command.run(
            [ReconcilerBinary.path] + args,
            environment: ["RECONCILER_HOST_CONFIG": homelab.dir.appending("host-config.json")]
        )
    }

    @Test func everyGlobalOptionWorksBeforeTheSubcommandInBothForms() throws {
        let homelab = try homelab()
        defer { homelab.dir.remove() }
        let state = "--state-dir=\(homelab.stateDir)"
        for args in [
            ["--repo", homelab.deploy, "--state-dir", homelab.stateDir, "history", "--json"],
            ["--repo=\(homelab.deploy)", state, "--verbose", "history", "--json"],
            ["--repo", homelab.deploy, "history", state, "--json"],
            ["history", "--json", "--repo", homelab.deploy, state],
        ] {
            let result = try reconciler(args, homelab)
            #expect(result.status == 0, "\(args): \(result.output)")
            #expect(try decodeJSONArray(result.stdout).isEmpty, "\(args): \(result.stdout)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(homelab.stateDir)/state.sqlite"))

        // The option before the subcommand is the one used: a repository that is not there is named.
        let wrong = try reconciler(["--repo", homelab.dir.appending("nowhere"), state, "history"], homelab)
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.stderr.contains("cannot open the deploy repository at \(homelab.dir.appending("nowhere"))"))

        // --config before the subcommand: its stateDir is where the state goes.
        let fromConfig = homelab.dir.appending("state-from-config")
        let hostFile = homelab.dir.appending("host.json")
        try "{ \"stateDir\": \"\(fromConfig)\" }\n".write(toFile: hostFile, atomically: true, encoding: .utf8)
        let configured = try reconciler(["--config=\(hostFile)", "--repo", homelab.deploy, "history"], homelab)
        #expect(configured.status == 0, "\(configured.output)")
        #expect(FileManager.default.fileExists(atPath: "\(fromConfig)/state.sqlite"), "\(configured.output)")

        // --host before the subcommand reaches the command (a repository without `hosts` ignores it).
        let host = try reconciler(["--host", "elsewhere", "--repo", homelab.deploy, state, "history"], homelab)
        #expect(host.status == 0, "\(host.output)")
    }

    @Test func nestedSubcommandsTakeGlobalOptionsAnywhereOnTheirPath() throws {
        let homelab = try homelab()
        defer { homelab.dir.remove() }
        let env = "\(homelab.deploy)/services/web/.env"
        let result = try reconciler(["--repo", homelab.deploy, "secrets", "init", "--all"], homelab)
        #expect(result.status == 0, "\(result.output)")
        #expect(FileManager.default.fileExists(atPath: env), "\(result.output)")

        try FileManager.default.removeItem(atPath: env)
        let between = try reconciler(["secrets", "--repo=\(homelab.deploy)", "init", "web"], homelab)
        #expect(between.status == 0, "\(between.output)")
        #expect(FileManager.default.fileExists(atPath: env), "\(between.output)")
    }

    @Test func nothingAfterDoubleDashMoves() throws {
        let homelab = try homelab()
        defer { homelab.dir.remove() }
        // After `--`, `--repo` is an argument (a unit name here), not the option.
        let result = try reconciler(
            ["--repo", homelab.deploy, "--state-dir", homelab.stateDir, "deploy", "--", "--repo"],
            homelab
        )
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("no unit named --repo"), "\(result.output)")
    }

    @Test func usageErrorsExitOneAndHelpSaysSo() throws {
        let homelab = try homelab()
        defer { homelab.dir.remove() }
        for args in [
            ["--repo", homelab.deploy, "status", "--no-such-option"],
            ["--repo", homelab.deploy, "deploy"],
            ["--no-such-option", "status"],
            ["no-such-command"],
            ["secrets", "init", "web", "--all"],
        ] {
            let result = try reconciler(args, homelab)
            #expect(result.status == 1, "\(args) exited \(result.status): \(result.output)")
            #expect(result.stderr.contains("Error:") || result.stderr.contains("Usage:"), "\(args): \(result.output)")
        }
        let help = try reconciler(["--help"], homelab)
        #expect(help.status == 0)
        // The help text is wrapped to the terminal: compare it with its whitespace collapsed.
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("1 usage or configuration error"), "\(help.stdout)")
        #expect(text.contains("go before the subcommand or after it"), "\(help.stdout)")
    }
}
