import Foundation
import ReconcilerCore
import Testing

/// `plan --json` is written by hand (``Plan/json()``) for speed; it must stay byte for byte what JSONEncoder writes.
struct PlanJSONTests {
    static let plans: [Plan] = [
        Plan(
            from: nil,
            to: CommitRef(commit: String(repeating: "a", count: 40), summary: "first"),
            steps: [],
            ignoredPaths: []
        ),
        Plan(
            from: CommitRef(commit: String(repeating: "b", count: 40), summary: "fix \"quoted\" \\ back\nslash/élan 🚀"),
            to: CommitRef(commit: String(repeating: "c", count: 40), summary: "tab\there\u{7F}\u{1}"),
            steps: [
                PlanStep(
                    unit: "system",
                    action: .switch,
                    wave: 0,
                    reason: .changed,
                    paths: ["nixos/configuration.nix"]
                ),
                PlanStep(unit: "old", action: .down, wave: 0, reason: .pruned, paths: ["services/old/compose.yml"]),
                PlanStep(unit: "db", action: .up, wave: 1, reason: .dependency),
                PlanStep(
                    unit: "sonarr/anime",
                    action: .up,
                    wave: 2,
                    reason: .changed,
                    paths: [
                        "services/sonarr/anime/compose.yml", "services/sonarr/ä ö/\"x\".yml", "services/sonarr/a\nb",
                    ]
                ),
                PlanStep(unit: "web", action: .up, wave: 12, reason: .firstDeploy, paths: []),
            ],
            ignoredPaths: ["README.md", "docs/a b.md"]
        ),
        {
            // Under `hosts`, the plan names the host it is for.
            var plan = Plan(
                from: nil,
                to: CommitRef(commit: String(repeating: "d", count: 40), summary: "pi"),
                steps: [PlanStep(unit: "dns", action: .up, wave: 0, reason: .firstDeploy, paths: [])],
                ignoredPaths: []
            )
            plan.host = "pi"
            return plan
        }(),
        {
            // What changed inside units, and a plan from git alone.
            var plan = Plan(
                from: CommitRef(commit: String(repeating: "e", count: 40), summary: "before"),
                to: CommitRef(commit: String(repeating: "f", count: 40), summary: "after"),
                steps: [PlanStep(unit: "plex", action: .up, wave: 1, reason: .changed, paths: ["services/plex/a"])],
                ignoredPaths: []
            )
            var changes = UnitChanges(unit: "plex")
            changes.images = [
                ImageChange(service: "plex", change: .changed, from: "plex:1", to: "plex:2"),
                ImageChange(service: "redis", change: .added, from: nil, to: "redis:7"),
            ]
            changes.envKeysAdded = ["TZ"]
            changes.portsRemoved = ["plex: \"8080:80\""]
            changes.notes = ["a/b é"]
            plan.changes = [changes, UnitChanges(unit: "empty")]
            plan.runningUnknown = true
            return plan
        }(),
    ]

    @Test(arguments: plans) func theHandWrittenJSONIsWhatJSONEncoderWrites(plan: Plan) throws {
        #expect(plan.json() == plan.jsonThroughEncoder())
        let parsed = try JSONSerialization.jsonObject(with: Data(plan.json().utf8)) as? [String: Any]
        #expect((parsed?["steps"] as? [Any])?.count == plan.steps.count)
    }
}
