import ArgumentParser
import Foundation
import ReconcilerCore

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract:
            "What a sync would do, without side effects (no fetch: it plans against the last fetched remote head).",
        discussion: """
            With both --from and --to and no state directory (no state.sqlite where --state-dir, \
            RECONCILER_STATE_DIR or the host file's stateDir points), the plan is read from git objects alone: no \
            container engine is asked, and a repository with `hosts` gets a plan per host unless --host or \
            RECONCILER_HOST names one. This is what a forge's CI runs on a pull request (docs/forge.md).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, markdown
    }

    @OptionGroup var global: GlobalOptions

    @Option(help: "The commit deployed from (default: the deployed commit; none means a first deploy).")
    var from: String?

    @Option(help: "The commit deployed to (default: the remote branch head as last fetched).")
    var to: String?

    @Flag(help: "Print the plan as JSON (shape in docs/commands.md); the same as --format json.")
    var json = false

    @Option(help: "table (default), json, or markdown (a pull-request comment).")
    var format: Format?

    func validate() throws {
        if json, let format, format != .json {
            throw ValidationError("--json and --format \(format.rawValue) ask for two formats: pass one of them")
        }
    }

    func run() async throws {
        try await runCommand {
            let format = json ? .json : (self.format ?? .table)
            let plans: [Plan]
            if let from, let to, !(try PlanCommand.hasState(global)) {
                plans = try await Self.plansFromGit(global, from: from, to: to)
            } else {
                let session = try Session.open(global, command: "plan", locking: false, reporter: SilentReporter())
                let plan = try await session.reconciler.plan(from: from, to: to)
                plans = [format == .table ? plan : session.reconciler.withChanges(plan)]
            }
            let shown = plans.map { Console.masked($0) }
            switch format {
            case .table: Console.document(shown.map(PlanTable.render).joined(separator: "\n\n"))
            case .markdown: Console.document(String(PlanMarkdown.render(shown).dropLast()))
            case .json:
                // One plan as before; a plan per host (from git alone, under `hosts`) is an array of them.
                Console.document(
                    shown.count == 1 ? shown[0].json() : "[\n\(shown.map { $0.json() }.joined(separator: ",\n"))\n]"
                )
            }
            return 0
        }
    }

    /// Whether a state database is where this command would look for one.
    static func hasState(_ options: GlobalOptions) throws -> Bool {
        let dir =
            try options.stateDir ?? ProcessInfo.processInfo.environment["RECONCILER_STATE_DIR"]
            ?? Reconciler.hostConfig(options.hostConfigFile).stateDir
        return FileManager.default.fileExists(atPath: "\(dir)/\(StateStore.fileName)")
    }

    /// The plan from git alone, or one per host of `to`'s `hosts` when no host is named.
    static func plansFromGit(_ options: GlobalOptions, from: String, to: String) async throws -> [Plan] {
        let named = options.host ?? ProcessInfo.processInfo.environment["RECONCILER_HOST"]
        let probe = try Session.openWithoutState(options, host: named ?? options.hostName)
        let hosts = named == nil ? try probe.hostNames(at: to) : []
        if hosts.isEmpty { return [try await probe.planFromGit(from: from, to: to)] }
        var plans: [Plan] = []
        for host in hosts {
            plans.append(try await Session.openWithoutState(options, host: host).planFromGit(from: from, to: to))
        }
        return plans
    }
}
