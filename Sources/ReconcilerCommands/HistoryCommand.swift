import ArgumentParser
import Foundation
import Git
import ReconcilerCore

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Past deployments, newest first, with their steps."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many deployments.")
    var limit = 10

    @Flag(help: "Print as JSON (shape in docs/commands.md).")
    var json = false

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "history", locking: false, reporter: SilentReporter())
            let records = try session.reconciler.history(limit: limit).map(Console.masked)
            let host = session.reconciler.hostName()
            if json {
                Console.document(StableJSON.encode(records.map { HistoryEntry($0, host: host) }))
                return 0
            }
            if let host { Console.document("host \(host)") }
            if records.isEmpty { Console.line("No deployments yet.") }
            for d in records {
                let from = d.fromCommit?.short ?? "(none)"
                let took =
                    d.endedAt.map {
                        " in \(ConfigDuration.format(.milliseconds(Int64($0.timeIntervalSince(d.startedAt) * 1000))))"
                    } ?? ""
                Console.document(
                    "#\(d.id) \(d.startedAt.formatted(.iso8601)) \(d.trigger.rawValue) \(from) → \(d.toCommit.short): \(d.result.rawValue)\(took)"
                )
                if let m = d.message { Console.document("    \(m.replacingOccurrences(of: "\n", with: "\n    "))") }
                for s in d.steps {
                    Console.document(
                        "    \(s.phase.rawValue) \(s.unit) \(s.action.rawValue): \(s.result.rawValue)\(s.message.map { " — \($0.split(separator: "\n").first ?? "")" } ?? "")"
                    )
                }
            }
            return 0
        }
    }
}

/// One deployment in `history --json`.
struct HistoryEntry: Encodable {
    struct Step: Encodable {
        let phase: String
        let unit: String
        let action: String
        let result: String
        let exitCode: Int32?
        let message: String?
        let startedAt: Date
        let endedAt: Date?
        let logTail: String
    }

    let id: Int64
    let trigger: String
    let from: String?
    let to: String
    let result: String
    let message: String?
    let startedAt: Date
    let endedAt: Date?
    let steps: [Step]
    /// The host this reconciler deploys (`hosts.<name>`); absent without `hosts`.
    let host: String?

    init(_ d: DeploymentRecord, host: String? = nil) {
        self.host = host
        id = d.id
        trigger = d.trigger.rawValue
        from = d.fromCommit?.hex
        to = d.toCommit.hex
        result = d.result.rawValue
        message = d.message
        startedAt = d.startedAt
        endedAt = d.endedAt
        steps = d.steps.map {
            Step(
                phase: $0.phase.rawValue,
                unit: $0.unit,
                action: $0.action.rawValue,
                result: $0.result.rawValue,
                exitCode: $0.exitCode,
                message: $0.message,
                startedAt: $0.startedAt,
                endedAt: $0.endedAt,
                logTail: $0.logTail
            )
        }
    }
}
