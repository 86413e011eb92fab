import Foundation
import Git

/// A deployed service unit as the state records it, for the daemon's self-heal.
package struct DeployedUnit: Sendable, Equatable {
    package let id: String
    package let project: String
    /// What the state says: an operator's `stop` is `.stopped` and is never healed.
    package let state: UnitState

    package init(id: String, project: String, state: UnitState) {
        self.id = id
        self.project = project
        self.state = state
    }
}

extension Reconciler {
    /// The Compose units of the deployed commit this host runs, with their recorded state (empty before the first
    /// deploy). Swarm stacks are left out: Swarm reschedules their tasks itself, and their containers carry no
    /// Compose project label for the daemon to find.
    package func deployedServiceUnits() throws -> [DeployedUnit] {
        guard let commit = try deployedCommit() else { return [] }
        let read = try config(at: commit.id)
        let units = try units(at: commit.id, config: read)
        let config = try scope(read)?.config(read, units: units) ?? read
        let records = Dictionary(try store.units().map { ($0.id, $0.state) }, uniquingKeysWith: { a, _ in a })
        return units.ids.compactMap { id in
            guard let unit = units.units[id], config.units[id]?.engine != .swarm else { return nil }
            return DeployedUnit(id: id, project: unit.projectName, state: records[id] ?? .running)
        }
    }

    /// Brings one unit whose containers died back at the deployed commit: `compose up` and the health gate, recorded
    /// in the history with trigger `heal`.
    package func heal(unit id: String) async throws -> DeployOutcome {
        try await deploy(.units([id]), trigger: .heal)
    }
}
