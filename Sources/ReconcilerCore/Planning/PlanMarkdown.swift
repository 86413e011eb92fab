import Foundation

/// `plan --format markdown`: the plan as a pull-request comment (GitHub, Gitea/Forgejo and GitLab render it alike):
/// per host the system switch and its paths, the units in their waves with why, what changed inside each unit
/// (``UnitChanges``), the units pruned, and what a plan from git alone cannot know.
package enum PlanMarkdown {
    /// The marker the CI recipes look for to update their one comment instead of adding another.
    package static let marker = "<!-- reconciler-plan -->"

    /// - Parameters:
    ///   - plans: One plan, or one per host (each with its `host`), all between the same two commits.
    package static func render(_ plans: [Plan]) -> String {
        guard let first = plans.first else { return marker + "\n" }
        var out: [String] = [marker]
        let from = first.from.map { code($0.short) } ?? "nothing deployed"
        out.append("### Reconciler plan: \(from) → \(code(first.to.short))")
        out.append("")
        out.append("\(code(first.to.short)) \(text(first.to.summary))")
        for plan in plans {
            out.append("")
            if let host = plan.host {
                out.append("#### Host \(code(host))")
                out.append("")
            }
            out += section(plan)
        }
        if plans.contains(where: \.runningUnknown) {
            out.append("")
            out.append(
                "_A unit that a changed unit depends on is brought up as well when it is not running on the host. "
                    + "This plan is read from git alone, so it cannot know which are down: none are listed._"
            )
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func section(_ plan: Plan) -> [String] {
        var out: [String] = []
        if let system = plan.steps.first(where: { $0.action == .switch }) {
            out.append("**System:** switches (\(paths(system.paths, limit: 10)))")
        } else {
            out.append("**System:** no switch")
        }
        out.append("")
        let services = plan.steps.filter { $0.action != .switch }
        if services.isEmpty {
            out.append("No service is affected.")
        } else {
            out.append("| Wave | Unit | Action | Why |")
            out.append("|---|---|---|---|")
            for step in services {
                let wave = step.action == .down ? "prune" : String(step.wave)
                out.append("| \(wave) | \(cell(code(step.unit))) | \(step.action.rawValue) | \(cell(why(step))) |")
            }
        }
        let changes = (plan.changes ?? []).filter { !$0.isEmpty }
        if !changes.isEmpty {
            out.append("")
            out.append("**Changes**")
            out.append("")
            for unit in changes { out += lines(unit) }
        }
        if !plan.pruned.isEmpty {
            out.append("")
            out.append(
                "**Pruned:** \(plan.pruned.map(code).joined(separator: ", ")) "
                    + "(taken down with the base commit's files)"
            )
        }
        if !plan.ignoredPaths.isEmpty {
            out.append("")
            out.append("Changed outside any unit: \(paths(plan.ignoredPaths, limit: 5))")
        }
        return out
    }

    private static func why(_ step: PlanStep) -> String {
        switch step.reason {
        case .firstDeploy: "first deploy"
        case .dependency: "dependency not running"
        case .requested: "requested"
        case .pruned: "directory removed"
        case .changed: step.paths.isEmpty ? "settings changed" : paths(step.paths, limit: 3)
        }
    }

    private static func lines(_ unit: UnitChanges) -> [String] {
        var out = ["- \(code(unit.unit))"]
        for image in unit.images {
            switch image.change {
            case .changed:
                let (old, new) = image.arrowParts
                out.append("  - image \(code(image.service)): \(code(old)) → \(code(new))")
            case .added:
                out.append("  - new service \(code(image.service)): \(image.to.map(code) ?? "no image")")
            case .removed:
                out.append("  - removed service \(code(image.service)): \(image.from.map(code) ?? "no image")")
            }
        }
        if let keys = addedRemoved(unit.envKeysAdded, unit.envKeysRemoved) {
            out.append("  - `.env.example` keys \(keys)")
        }
        if let ports = addedRemoved(unit.portsAdded, unit.portsRemoved) { out.append("  - ports \(ports)") }
        if let volumes = addedRemoved(unit.volumesAdded, unit.volumesRemoved) { out.append("  - volumes \(volumes)") }
        for note in unit.notes { out.append("  - not read: \(text(note))") }
        return out
    }

    private static func addedRemoved(_ added: [String], _ removed: [String]) -> String? {
        var parts: [String] = []
        if !added.isEmpty { parts.append("added: " + added.map(code).joined(separator: ", ")) }
        if !removed.isEmpty { parts.append("removed: " + removed.map(code).joined(separator: ", ")) }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    private static func paths(_ paths: [String], limit: Int) -> String {
        let shown = paths.prefix(limit).map(code).joined(separator: ", ")
        return paths.count > limit ? "\(shown) and \(paths.count - limit) more" : shown
    }

    /// A code span that holds `value` whatever it contains (a backtick makes the fence longer), on one line.
    static func code(_ value: String) -> String {
        let flat = value.map { $0.isNewline || $0 == "\t" ? " " : String($0) }.joined()
        var fence = "`"
        while flat.contains(fence) { fence += "`" }
        let pad = flat.hasPrefix("`") || flat.hasSuffix("`") || fence.count > 1 ? " " : ""
        return fence + pad + flat + pad + fence
    }

    /// A table cell: a `|` would end it, even inside a code span.
    private static func cell(_ value: String) -> String {
        value.replacingOccurrences(of: "|", with: "\\|")
    }

    /// Free text from a commit (a subject): no HTML, no mention, no markup of its own, on one line.
    static func text(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "@": out += "&#64;"
            case "\\", "`", "*", "_", "[", "]", "|", "#", "~", "!": out += "\\\(c)"
            case _ where c.isNewline: out += " "
            default: out.append(c)
            }
        }
        return out
    }
}
