import ArgumentParser
import Foundation
import Git
import ReconcilerCore
import ReconcilerServer

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Deployed commit, remote head, last result, each unit's state.",
        discussion:
            "Exits 3 when degraded, 5 when drifted, 1 during an outage (engine unreachable, fetch failing), 2 when the last deploy failed or a unit is failed, else 0."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the status as JSON (shape in docs/commands.md).")
    var json = false

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "status", locking: false, reporter: SilentReporter())
            let report = try await session.reconciler.status()
            let shown = Console.masked(report)
            if json {
                Console.document(StableJSON.encode(shown))
            } else {
                Console.document(render(shown))
                let stateDirectory = session.reconciler.store.directory
                if let daemon = TriggerSocket.statusLine(stateDirectory: stateDirectory) { Console.document(daemon) }
            }
            return report.exitCode.rawValue
        }
    }

    private func render(_ r: StatusReport) -> String {
        var lines: [String] = []
        lines.append("repo      \(r.repo)")
        if let host = r.host { lines.append("host      \(host)") }
        lines.append("state     \(r.state.rawValue.uppercased())")
        lines.append(
            "deployed  \(r.deployed.map { "\($0.short) \(TerminalText.escape($0.summary, keepingLayout: false))" } ?? "nothing yet")"
        )
        lines.append(
            "remote    \(r.remote.map { "\($0.short) \(TerminalText.escape($0.summary, keepingLayout: false))" } ?? "not fetched yet")"
        )
        if let d = r.lastDeployment {
            lines.append(
                "last      #\(d.id) \(d.trigger) → \(ObjectID(hex: d.to).short): \(d.result)\(d.message.map { " — \($0.split(separator: "\n").first ?? "")" } ?? "")"
            )
        }
        if let d = r.degraded {
            lines.append("DEGRADED  \(d.reason)\n          fix the cause, then `reconciler resume`")
        }
        if let h = r.hold {
            lines.append(
                "hold      \(ObjectID(hex: h.commit).short) is not deployed automatically (\(h.reason)); `reconciler resume` releases it"
            )
        }
        if let o = r.outage {
            lines.append(
                "outage    since \(o.at.formatted(.iso8601)): \(TerminalText.escape(o.reason.split(separator: "\n").first.map(String.init) ?? "", keepingLayout: false))"
            )
            lines.append(
                "          \(ObjectID(hex: o.commit).short) waits to deploy; the next sync deploys it once the cause is gone"
            )
        }
        if let f = r.failedCommit {
            lines.append("failed    \(ObjectID(hex: f.commit).short) is not retried: \(f.reason)")
        }
        if !r.drift.isEmpty { lines.append("drift     \(r.drift.joined(separator: ", "))") }
        if let reboot = r.rebootNeeded {
            lines.append(
                "reboot    \(StatusReport.rebootPrefix)\(reboot.joined(separator: ", ")) (the reconciler never reboots)"
            )
        }
        lines.append("")
        let rows =
            [["UNIT", "STATE", "LIVE", "COMMIT"]]
            + r.units.map { u in
                [u.id, u.state, u.live ?? "-", u.commit.map { ObjectID(hex: $0).short } ?? "-"]
            }
        lines += TextTable.render(rows)
        return lines.joined(separator: "\n")
    }
}
