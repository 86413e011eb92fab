import Foundation
import Git

/// A commit as plans and history show it.
package struct CommitRef: Codable, Sendable, Equatable {
    package let commit: String
    package let summary: String

    package init(commit: String, summary: String) {
        self.commit = commit
        self.summary = summary
    }

    package init(_ commit: Commit) {
        self.init(commit: commit.id.hex, summary: commit.summary)
    }

    package var short: String { ObjectID(hex: commit).short }
}

/// One thing a deploy does to one unit.
package struct PlanStep: Codable, Sendable, Equatable, Hashable {
    package enum Action: String, Codable, Sendable {
        /// The system switch command.
        case `switch`
        /// `compose up --detach --remove-orphans`, then the health gate.
        case up
        /// `compose down --remove-orphans` (a pruned unit, or a unit new in a rolled-back commit).
        case down
    }

    package enum Reason: String, Codable, Sendable {
        /// Files of the unit changed.
        case changed
        /// Nothing was deployed before: everything is applied.
        case firstDeploy = "first-deploy"
        /// A unit the change needs is not running, so it is brought up too.
        case dependency
        /// The unit's directory is gone in the target commit.
        case pruned
        /// An operator asked for it (`deploy`, `restart`).
        case requested
    }

    package let unit: String
    package let action: Action
    /// 0 for the system and prunes; services from 1 on, in dependency order.
    package let wave: Int
    package let reason: Reason
    /// Changed paths that caused this step (empty for dependencies and first deploys).
    package let paths: [String]

    package init(unit: String, action: Action, wave: Int, reason: Reason, paths: [String] = []) {
        self.unit = unit
        self.action = action
        self.wave = wave
        self.reason = reason
        self.paths = paths
    }
}

/// What a deploy from one commit to another will do, in order.
package struct Plan: Codable, Sendable, Equatable {
    package var from: CommitRef?
    package var to: CommitRef
    package var steps: [PlanStep]
    /// Changed paths that affect no unit (docs, README, files directly in the services root).
    package var ignoredPaths: [String]
    /// The host (`hosts.<name>`) this plan is for; nil without `hosts`.
    package var host: String? = nil
    /// Units whose `.env.sops` changed, with the keys whose values changed (never a value).
    package var sealedChanges: [SealedChange]? = nil
    /// What changed inside each changed or pruned unit (images, `.env.example` keys, ports, volumes); nil when
    /// not read (`plan` reads them, the engine does not).
    package var changes: [UnitChanges]? = nil
    /// True for a plan from git alone (`plan --from --to` without a state directory): which dependencies are down,
    /// and so brought up too, cannot be known.
    package var runningUnknown = false

    package init(from: CommitRef?, to: CommitRef, steps: [PlanStep], ignoredPaths: [String]) {
        self.from = from
        self.to = to
        self.steps = steps
        self.ignoredPaths = ignoredPaths
    }

    package var system: Bool { steps.contains { $0.action == .switch } }
    /// Whether the plan acts on services (an `up` or a `down`): the container engine must answer for it.
    package var touchesServices: Bool { steps.contains { $0.action != .switch } }
    /// Units brought up, in order.
    package var units: [String] { steps.filter { $0.action == .up }.map(\.unit) }
    package var pruned: [String] { steps.filter { $0.action == .down }.map(\.unit) }
    package var isEmpty: Bool { steps.isEmpty }

    /// Service steps grouped by wave, in order.
    package var waves: [[PlanStep]] {
        let services = steps.filter { $0.action == .up }
        let numbers = Set(services.map(\.wave)).sorted()
        return numbers.map { n in services.filter { $0.wave == n } }
    }

    /// Stable JSON (sorted keys), the shape documented in docs/commands.md, written directly (``PlanJSONWriter``).
    package func json() -> String { PlanJSONWriter.write(self) }

    /// The same JSON through JSONEncoder: what ``json()`` is tested against.
    package func jsonThroughEncoder() -> String { StableJSON.encode(PlanJSON(self)) }
}

/// The documented `plan --json` shape: the plan plus the summary lists a script wants.
private struct PlanJSON: Encodable {
    let from: CommitRef?
    let to: CommitRef
    let system: Bool
    let units: [String]
    let pruned: [String]
    let steps: [PlanStep]
    let ignoredPaths: [String]
    let host: String?
    let changes: [UnitChanges]?
    let runningUnknown: Bool

    init(_ plan: Plan) {
        host = plan.host
        changes = plan.changes
        runningUnknown = plan.runningUnknown
        from = plan.from
        to = plan.to
        system = plan.system
        units = plan.units
        pruned = plan.pruned
        steps = plan.steps
        ignoredPaths = plan.ignoredPaths
    }

    func encode(to encoder: any Encoder) throws {
        enum K: String, CodingKey {
            case from, to, system, units, pruned, steps, ignoredPaths, host, changes, runningUnknown
        }
        var c = encoder.container(keyedBy: K.self)
        if let from { try c.encode(from, forKey: .from) } else { try c.encodeNil(forKey: .from) }
        try c.encode(to, forKey: .to)
        try c.encode(system, forKey: .system)
        try c.encode(units, forKey: .units)
        try c.encode(pruned, forKey: .pruned)
        try c.encode(steps, forKey: .steps)
        try c.encode(ignoredPaths, forKey: .ignoredPaths)
        try c.encodeIfPresent(host, forKey: .host)
        try c.encodeIfPresent(changes, forKey: .changes)
        if runningUnknown { try c.encode(true, forKey: .runningUnknown) }
    }
}

/// The JSON every `--json` output and the state's plan column use: pretty, keys sorted, ISO 8601 dates.
package enum StableJSON {
    package static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
