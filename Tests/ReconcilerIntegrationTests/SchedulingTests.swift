import Foundation
import ReconcilerTesting
import Testing

/// How a deploy spends its time on the real engine: a unit starts as soon as what it depends on is healthy (waves
/// order the plan, they are not barriers), and the cheap engine check before a deploy still tells an outage (Compose
/// gone) from a bad commit.
@Suite(.serialized)
struct SchedulingTests {
    @Test func aUnitStartsWhenItsOwnDependencyIsHealthyNotWhenItsWholeWaveIs() throws {
        try DockerRig.requireEngine()
        let homelab = try Homelab()
        let base = "base\(homelab.tag)"
        let slow = "slow\(homelab.tag)"
        let after = "after\(homelab.tag)"
        defer { homelab.tearDown(projects: [base, slow, after]) }
        // Wave 1: base (healthy in about a second) and slow (healthy after 8 s); wave 2: after, which needs base only.
        try homelab.commit(
            [
                "reconciler.json": homelab.config(units: [after: [base]]),
                "services/\(base)/compose.yml": Homelab.service(version: "1"),
                "services/\(slow)/compose.yml": Homelab.service(version: "1", slowStart: 8),
                "services/\(after)/compose.yml": Homelab.service(version: "1"),
            ],
            message: "three services"
        )
        try homelab.cloneDeploy()

        let plan = try decodeJSON(try ReconcilerBinary.run(["plan", "--json"], homelab: homelab).stdout)
        let waves = (plan["steps"] as? [[String: Any]] ?? []).map { "\($0["wave"] ?? "") \($0["unit"] ?? "")" }
        #expect(Set(waves) == ["1 \(base)", "1 \(slow)", "2 \(after)"], "the plan still shows waves: \(waves)")

        let sync = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(sync.status == 0, "\(sync.output)")
        let steps = try applySteps(homelab)
        let baseStep = try #require(steps[base], "\(steps)")
        let slowStep = try #require(steps[slow], "\(steps)")
        let afterStep = try #require(steps[after], "\(steps)")
        #expect(afterStep.started >= baseStep.ended, "after waits for base to be healthy: \(steps)")
        #expect(
            afterStep.ended.addingTimeInterval(3) <= slowStep.ended,
            "after is up and healthy while slow (same wave as base) is still starting: \(steps)"
        )
        for project in [base, slow, after] { #expect(try Containers.version(project) == "1") }
    }

    @Test func composeGoneWhileTheEngineAnswersIsAnOutageNotAFailedCommit() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        let v2 = try lab.homelab.commit(
            ["services/\(lab.app)/compose.yml": Homelab.service(version: "2")],
            message: "app v2"
        )
        // The engine answers its ping; the Compose command does not exist (a package upgrade halfway, say).
        let hostFile = lab.homelab.dir.appending("host-config.json")
        try #"{ "services": { "compose": ["/nonexistent/bin/docker", "compose"] } }"#
            .write(toFile: hostFile, atomically: true, encoding: .utf8)
        let gone = try lab.run("sync")
        #expect(gone.status == 1, "\(gone.output)")
        #expect(gone.output.contains("Docker Compose is not available"), "\(gone.output)")
        #expect(gone.output.contains("is not marked failed"), "\(gone.output)")
        let status = try decodeJSON(try lab.run("status", "--json").stdout)
        let outage = try #require(status["outage"] as? [String: Any], "\(status)")
        #expect(outage["commit"] as? String == v2)
        #expect(
            status["failedCommit"] == nil || status["failedCommit"] is NSNull,
            "the commit is not remembered as bad: \(status)"
        )
        let history = try decodeJSONArray(try lab.run("history", "--json", "--limit", "1").stdout)
        #expect(history.first?["result"] as? String == "outage", "\(history)")
        #expect(try Containers.version(lab.app) == "1", "nothing was changed")

        try FileManager.default.removeItem(atPath: hostFile)
        let back = try lab.run("sync")
        #expect(back.status == 0, "the next sync deploys it: \(back.output)")
        #expect(try Containers.version(lab.app) == "2")
        let after = try decodeJSON(try lab.run("status", "--json").stdout)
        #expect(after["outage"] == nil || after["outage"] is NSNull, "\(after)")
    }

    /// Each apply step of the newest deployment: when it started and ended (`history --json`, whole seconds).
    private func applySteps(_ homelab: Homelab) throws -> [String: (started: Date, ended: Date)] {
        let history = try decodeJSONArray(
            try ReconcilerBinary.run(["history", "--json", "--limit", "1"], homelab: homelab).stdout
        )
        let steps = (history.first?["steps"] as? [[String: Any]]) ?? []
        let dates = ISO8601DateFormatter()
        var found: [String: (started: Date, ended: Date)] = [:]
        for step in steps where step["phase"] as? String == "apply" && step["action"] as? String == "up" {
            guard let unit = step["unit"] as? String,
                let started = (step["startedAt"] as? String).flatMap(dates.date(from:)),
                let ended = (step["endedAt"] as? String).flatMap(dates.date(from:))
            else { continue }
            found[unit] = (started, ended)
        }
        return found
    }
}
