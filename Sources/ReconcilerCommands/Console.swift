import Foundation
import ReconcilerCore

/// Writes whole lines to stdout/stderr, unbuffered, so parallel steps never interleave within a line.
///
/// Two kinds of output, masked differently:
/// - free text (``line(_:)``, ``error(_:)``, ``warning(_:)``): messages that may quote tool output or errors from
///   outside; every line is masked whole (``SecretMasker/shared``).
/// - documents the reconciler renders itself (``document(_:)``, ``documentError(_:)``: `--json`, tables): masked
///   field by field before they are rendered (``FreeTextMaskable``, ``masked(_:)``), then written as they are, so
///   unit ids, project names, paths and commit ids stay whole.
///
/// Both escape terminal control characters.
enum Console {
    /// What is written for free text `text`: secrets masked, control characters (an `ESC ]0;` that retitles the
    /// terminal) escaped, newlines and tabs kept.
    static func safe(_ text: String) -> String {
        TerminalText.escape(SecretMasker.shared.mask(text))
    }

    /// `value` with its free-text fields masked by the run's masker, ready for ``document(_:)``.
    static func masked<Value: FreeTextMaskable>(_ value: Value) -> Value {
        value.masked(by: SecretMasker.shared)
    }

    /// `text` masked by the run's masker, for a free-text field of a document.
    static func masked(_ text: String) -> String {
        SecretMasker.shared.mask(text)
    }

    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((safe(text) + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data(("error: " + safe(text) + "\n").utf8))
    }

    static func warning(_ text: String) {
        FileHandle.standardError.write(Data(("warning: " + safe(text) + "\n").utf8))
    }

    /// Writes a document whose free-text fields are masked already: control characters escaped, nothing masked.
    static func document(_ text: String) {
        FileHandle.standardOutput.write(Data((TerminalText.escape(text) + "\n").utf8))
    }

    /// ``document(_:)`` on stderr, as an error line.
    static func documentError(_ text: String) {
        FileHandle.standardError.write(Data(("error: " + TerminalText.escape(text) + "\n").utf8))
    }
}

/// Human progress output: the plan as a table, a line when each step starts and ends, a line every few seconds while
/// a step waits, and with --verbose what the tools print.
struct ConsoleReporter: ProgressReporter {
    let verbose: Bool

    func report(_ event: ProgressEvent) {
        switch event {
        case .info(let text):
            Console.line(text)
        case .warning(let text):
            Console.warning(text)
        case .plan(let plan):
            Console.document(PlanTable.render(Console.masked(plan)))
        case .stepStarted(let phase, let unit, let action):
            Console.document("\(prefix(phase))→ \(unit) \(action) …")
        case .stepWaiting(let unit, let elapsed, let detail):
            Console.document(
                "    … \(unit): waiting \(ConfigDuration.format(elapsed.rounded())) for \(Console.masked(detail))"
            )
        case .stepFinished(let phase, let unit, let action, let ok, let message, let duration):
            let mark = ok ? "✓" : "✗"
            Console.document(
                "\(prefix(phase))\(mark) \(unit) \(action): \(Console.masked(message)) (\(ConfigDuration.format(duration.rounded(to: 0.1))))"
            )
        case .output(let unit, let line):
            if verbose { Console.document("    [\(unit)] \(Console.masked(line))") }
        }
    }

    private func prefix(_ phase: StepPhase) -> String {
        switch phase {
        case .validate: "  check "
        case .apply: "  "
        case .rollback: "  rollback "
        }
    }
}

/// The plan before a deploy: what happens to which unit, and why.
enum PlanTable {
    static func render(_ plan: Plan) -> String {
        var lines: [String] = []
        let from = plan.from.map { "\($0.short) → " } ?? "(nothing deployed) → "
        lines.append(
            "Plan \(from)\(plan.to.short) \"\(TerminalText.escape(plan.to.summary, keepingLayout: false))\""
                + (plan.host.map { " for host \($0)" } ?? "")
        )
        if plan.steps.isEmpty {
            lines.append("  no unit is affected")
            if !plan.ignoredPaths.isEmpty {
                lines.append(
                    "  (\(plan.ignoredPaths.count) changed path(s) outside units, e.g. \(plan.ignoredPaths[0]))"
                )
            }
            return lines.joined(separator: "\n")
        }
        let rows: [[String]] =
            [["STEP", "UNIT", "ACTION", "WHY"]]
            + plan.steps.map { step in
                [
                    step.action == .up ? "wave \(step.wave)" : (step.action == .switch ? "system" : "prune"),
                    step.unit, step.action.rawValue, why(step),
                ]
            }
        lines += TextTable.render(rows, indent: "  ")
        lines += (plan.sealedChanges ?? []).map { "  \($0)" }
        return lines.joined(separator: "\n")
    }

    static func why(_ step: PlanStep) -> String {
        switch step.reason {
        case .firstDeploy: return "first deploy"
        case .dependency: return "dependency not running"
        case .requested: return "requested"
        case .pruned: return "directory removed"
        case .changed:
            guard let first = step.paths.first else { return "changed" }
            return step.paths.count == 1 ? first : "\(first) (+\(step.paths.count - 1) more)"
        }
    }
}

/// Columns aligned with two spaces between them; the last column is not padded.
enum TextTable {
    static func render(_ rows: [[String]], indent: String = "") -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { col in rows.map { col < $0.count ? $0[col].count : 0 }.max() ?? 0 }
        return rows.map { row in
            indent
                + row.enumerated().map { i, cell in
                    i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }
                .joined(separator: "  ")
        }
    }
}
