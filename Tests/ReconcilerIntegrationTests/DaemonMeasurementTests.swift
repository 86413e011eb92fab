import Foundation
import ReconcilerCore
import ReconcilerServer
import ReconcilerTesting
import Testing

/// The numbers the daemon's closing note reports: hook-to-deployed, memory, CPU per idle poll. They print
/// `measure:` lines and check only generous bounds, so a busy CI machine does not fail them.
@Suite(.serialized)
struct DaemonMeasurementTests {
    @Test func hookToDeployedMedianOfTen() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        let daemon = try DaemonProcess(homelab: d.homelab, arguments: ["--poll-interval", "1h"])
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == first } != nil, "\(daemon.log)")
        var seconds: [Double] = []
        for round in 1...10 {
            let sha = try d.homelab.commit(
                ["services/\(d.lab.web)/compose.yml": Homelab.service(version: "m\(round)")],
                message: "web m\(round)"
            )
            let body = d.pushBody(after: sha)
            let start = Date()
            let response = try daemon.post("/hooks/github", headers: d.githubHeaders(body), body: body)
            try #require(response.status == 202)
            try #require(daemon.waitFor(120) { daemon.deployedCommit() == sha } != nil, "\(daemon.log)")
            seconds.append(Date().timeIntervalSince(start))
        }
        let sorted = seconds.sorted()
        let median = (sorted[4] + sorted[5]) / 2
        print(
            "measure: hook to deployed, one-service change, n=10: median \(String(format: "%.2f", median)) s, min \(String(format: "%.2f", sorted.first!)) s, max \(String(format: "%.2f", sorted.last!)) s"
        )
        #expect(median < 60)
    }

    @Test func memoryAndCPUOverAThousandIdlePolls() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        let daemon = try DaemonProcess(homelab: d.homelab, arguments: ["--poll-interval", "10ms"])
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == first } != nil, "\(daemon.log)")
        let pollsAtStart = try daemon.metric("reconciler_polls_total")
        let start = try daemon.resources()
        let began = Date()
        // Look rarely, so the scrapes do not count much in the daemon's CPU time.
        while try daemon.metric("reconciler_polls_total") - pollsAtStart < 1000 {
            try #require(Date().timeIntervalSince(began) < 600, "1,000 idle polls within 10 minutes")
            Thread.sleep(forTimeInterval: 2)
        }
        let polls = try daemon.metric("reconciler_polls_total") - pollsAtStart
        let end = try daemon.resources()
        let wall = Date().timeIntervalSince(began)
        let cpuPerPoll = (end.cpuSeconds - start.cpuSeconds) / polls * 1000
        print(
            "measure: RSS after start (first deploy done) \(start.rssKiB / 1024) MiB; after \(Int(polls)) idle polls \(end.rssKiB / 1024) MiB; CPU \(String(format: "%.2f", cpuPerPoll)) ms per idle poll (incl. HTTP metric scrapes); wall \(String(format: "%.1f", wall)) s"
        )
        #expect(end.rssKiB < start.rssKiB + 64 * 1024, "no leak of more than 64 MiB over 1,000 polls")
        #expect(try daemon.metric("reconciler_polls_total{result=\"ok\"}") >= 1000)
    }
}
