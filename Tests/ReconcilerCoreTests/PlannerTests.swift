import Foundation
import Git
import Testing

@testable import ReconcilerCore

/// The planner is pure: changes, both ends' units and what runs go in, a plan comes out. No git, no driver.
@Suite struct PlannerTests {
    private func commit(_ n: Int) -> Commit {
        Commit(
            id: ObjectID(hex: String(repeating: String(n), count: 40)),
            summary: "commit \(n)",
            authorName: "a",
            authorEmail: "a@b",
            time: Date(timeIntervalSince1970: 0),
            parents: []
        )
    }

    /// db ← app ← web under services/, and nixos/.
    private func target(_ n: Int, units ids: [String] = ["db", "app", "web"]) throws -> DeployTarget {
        var config = Config()
        for (id, deps) in [("app", ["db"]), ("web", ["app"])] where ids.contains(id) {
            config.units[id] = UnitSettings(dependsOn: deps.filter(ids.contains))
        }
        let paths = ids.map { "services/\($0)/compose.yml" } + ["nixos/configuration.nix"]
        let entries = paths.map { TreeEntry(path: $0, kind: .file) }
        let units = try UnitDiscovery.discover(
            entries: entries,
            servicesRoot: "services",
            systemRoot: "nixos",
            symlinkTarget: { _ in nil }
        )
        return DeployTarget(
            commit: commit(n),
            config: config,
            units: units,
            entries: entries,
            graph: try config.validate(units: units)
        )
    }

    @Test func aFirstDeployAppliesTheSystemThenEveryUnitInWaves() throws {
        let t = try target(1)
        let changes = t.entries.map { Change.added($0.path) }
        let impact = Planner.impact(changes: changes, source: nil, target: t)
        let plan = Planner.plan(impact: impact, source: nil, target: t, running: [])
        #expect(plan.from == nil)
        #expect(
            plan.steps.map { "\($0.action.rawValue) \($0.unit) \($0.wave)" } == [
                "switch system 0", "up db 1", "up app 2", "up web 3",
            ]
        )
        #expect(plan.steps.allSatisfy { $0.reason == .firstDeploy })
    }

    @Test func aStoppedDependencyComesAlongAndARunningOneDoesNot() throws {
        let d = DeploySource(try target(1))
        let t = try target(2)
        let impact = Planner.impact(changes: [.modified("services/web/compose.yml")], source: d, target: t)
        #expect(Planner.dependencies(of: impact.units, in: t) == ["db", "app"])
        let none = Planner.plan(impact: impact, source: d, target: t, running: ["db", "app"])
        #expect(
            none.steps == [
                PlanStep(unit: "web", action: .up, wave: 1, reason: .changed, paths: ["services/web/compose.yml"])
            ]
        )
        let some = Planner.plan(impact: impact, source: d, target: t, running: ["app"])
        #expect(some.steps.map(\.unit) == ["db", "web"])
        #expect(some.steps.map(\.reason) == [.dependency, .changed])
        #expect(some.steps.map(\.wave) == [1, 2])
    }

    @Test func ensurePlansTheRequestedUnitsAndTheirStoppedDependencies() throws {
        let t = try target(1)
        let plan = Planner.ensure(["web"], target: t, running: ["app"])
        #expect(plan.from == plan.to)
        #expect(plan.steps.map(\.unit) == ["db", "web"])
        #expect(plan.steps.map(\.reason) == [.dependency, .requested])
    }

    @Test func aRemovedUnitIsPrunedBeforeTheUps() throws {
        let d = DeploySource(try target(1))
        let t = try target(2, units: ["db", "app"])
        let changes: [Change] = [.deleted("services/web/compose.yml"), .modified("services/app/compose.yml")]
        let impact = Planner.impact(changes: changes, source: d, target: t)
        let plan = Planner.plan(impact: impact, source: d, target: t, running: ["db"])
        #expect(plan.steps.map { "\($0.action.rawValue) \($0.unit)" } == ["down web", "up app"])
        #expect(plan.pruned == ["web"])
    }

    @Test func aRollbackSwitchesBackTakesNewUnitsDownAndBringsTheRestUpInTheBasesWaves() throws {
        let base = try target(1, units: ["db", "app", "web"])
        let attempted = [
            PlanStep(unit: "system", action: .switch, wave: 0, reason: .changed),
            PlanStep(unit: "web", action: .down, wave: 0, reason: .pruned),
            PlanStep(unit: "extra", action: .up, wave: 1, reason: .changed),
            PlanStep(unit: "app", action: .up, wave: 1, reason: .changed),
            PlanStep(unit: "db", action: .up, wave: 1, reason: .changed),
        ]
        let steps = Planner.rollback(attempted: attempted, base: base.units, graph: base.graph)
        #expect(
            steps.map { "\($0.action.rawValue) \($0.unit) \($0.wave)" }
                == ["switch system 0", "down extra 0", "up db 1", "up app 2", "up web 3"]
        )
        #expect(Planner.rollback(attempted: [], base: base.units, graph: base.graph).isEmpty)
    }
}
