import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

/// `reconciler run` through an engine outage ("an outage is not a bad commit"): the rig's own engine stopped
/// and started again (`RigEngine`, through scripts/testenv.sh), a webhook receiver as the notification sink.
@Suite(.serialized)
struct DaemonOutageTests {
    @Test func anEngineOutageBacksOffIsNotifiedOnceIsOneHistoryLineAndTheCommitDeploysWhenTheEngineIsBack() throws {
        let receiver = try NotificationReceiver()
        defer { receiver.stop() }
        let d = try DaemonLab(
            extraConfig: #""notify": [{"kind": "webhook", "url": "http://127.0.0.1:\#(receiver.port)/hook"}]"#
        )
        defer { d.tearDown() }
        defer { RigEngine.ensureRunning() }
        let daemon = try DaemonProcess(homelab: d.homelab, arguments: ["--poll-interval", "1s"])
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == first } != nil, "\(daemon.log)")
        let historyBefore = try history(d.homelab).count

        try RigEngine.stop()
        let v2 = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "2")],
            message: "app v2"
        )
        let host = DockerRig.environment["DOCKER_HOST"] ?? ""
        try #require(
            daemon.waitFor(120) { try daemon.status()["state"] as? String == "outage" } != nil,
            "status shows the outage:\n\(daemon.log)"
        )
        let status = try daemon.status()
        let outage = status["outage"] as? [String: Any]
        #expect(outage?["commit"] as? String == v2, "the commit waiting to deploy: \(status)")
        #expect((outage?["reason"] as? String)?.contains("Docker engine unreachable at \(host)") == true, "\(status)")
        #expect(try daemon.metric("reconciler_outage") == 1)
        let page = try daemon.get("/").text
        #expect(page.contains("Outage since") && page.contains(String(v2.prefix(12))), "the / page shows it")

        // Polls go on, further and further apart (the fetch failures' back-off), and write no history line each.
        try #require(
            daemon.waitFor(120) { (try daemon.daemonField("consecutiveOutages") as? Int ?? 0) >= 3 } != nil,
            "\(daemon.log)"
        )
        let snapshot = try #require(try daemon.status()["daemon"] as? [String: Any])
        let last = try #require((snapshot["lastPollAt"] as? String).flatMap(Self.date))
        let next = try #require((snapshot["nextPollAt"] as? String).flatMap(Self.date))
        #expect(next.timeIntervalSince(last) > 4, "three outages in a row wait about 8 intervals: \(snapshot)")
        let during = try history(d.homelab)
        #expect(during.count == historyBefore + 1, "one line for the outage: \(during.map { $0["result"] ?? "" })")
        #expect(during.first?["result"] as? String == "outage")

        try RigEngine.start()
        try #require(
            daemon.waitFor(180) { daemon.deployedCommit() == v2 } != nil,
            "the next poll deploys it, no resume:\n\(daemon.log)"
        )
        #expect(try Containers.version(d.lab.app) == "2")
        #expect(receiver.waitForCount(1, timeout: 30))
        let deployedV2: ([String: Any]) -> Bool = {
            $0["event"] as? String == "succeeded" && $0["commit"] as? String == v2
        }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !receiver.bodies.contains(where: deployedV2) { Thread.sleep(forTimeInterval: 0.2) }
        let events = receiver.bodies.map { $0["event"] as? String ?? "" }
        #expect(events.filter { $0 == "outage" }.count == 1, "once when it starts: \(events)")
        #expect(!events.contains("failed"), "an outage is not a failed deploy: \(events)")
        let outageEvent = receiver.bodies.first { $0["event"] as? String == "outage" }
        #expect(outageEvent?["commit"] as? String == v2)
        #expect(receiver.bodies.contains(where: deployedV2), "once when it ends (the deploy): \(events)")
        let after = try daemon.status()
        #expect(after["state"] as? String == "ok", "the outage is gone: \(after)")
        #expect(after["outage"] == nil)
        #expect(try daemon.daemonField("consecutiveOutages") as? Int == 0)
        #expect(try daemon.metric("reconciler_outage") == 0)
    }

    private func history(_ homelab: Homelab) throws -> [[String: Any]] {
        try decodeJSONArray(try ReconcilerBinary.run(["history", "--json", "--limit", "100"], homelab: homelab).stdout)
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
