/// What a change from the deployed commit D to the target commit T touches.
package struct Impact: Sendable, Equatable, Codable {
    /// The system must be switched.
    package var system: Bool
    /// Unit ids of T to apply.
    package var units: Set<String>
    /// Unit ids of D that are no unit in T: brought down with D's files.
    package var pruned: Set<String>
    /// `system` or a unit id → the changed paths that affected it, sorted.
    package var reasons: [String: [String]]
    /// Changed paths that affect nothing, sorted.
    package var ignoredPaths: [String]

    package init(
        system: Bool = false,
        units: Set<String> = [],
        pruned: Set<String> = [],
        reasons: [String: [String]] = [:],
        ignoredPaths: [String] = []
    ) {
        self.system = system
        self.units = units
        self.pruned = pruned
        self.reasons = reasons
        self.ignoredPaths = ignoredPaths
    }

    /// Nothing to switch, apply or prune.
    package var isEmpty: Bool { !system && units.isEmpty && pruned.isEmpty }

    private enum CodingKeys: String, CodingKey {
        case system, units, pruned, reasons, ignoredPaths
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        system = try container.decode(Bool.self, forKey: .system)
        units = try container.decode(Set<String>.self, forKey: .units)
        pruned = try container.decode(Set<String>.self, forKey: .pruned)
        reasons = try container.decode([String: [String]].self, forKey: .reasons)
        ignoredPaths = try container.decode([String].self, forKey: .ignoredPaths)
    }

    /// Sets as sorted arrays, so `plan --json` is stable from run to run.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(system, forKey: .system)
        try container.encode(units.sorted(), forKey: .units)
        try container.encode(pruned.sorted(), forKey: .pruned)
        try container.encode(reasons, forKey: .reasons)
        try container.encode(ignoredPaths, forKey: .ignoredPaths)
    }
}
