import Foundation
import ReconcilerCore
import ReconcilerServer
import ReconcilerTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `reconciler run` end to end: the built binary on a loopback port, real git, real Docker, a generated secret.
@Suite(.serialized)
struct DaemonTests {
    /// Every line of /metrics is a comment or `name{labels} value`.
    static func isPrometheusText(_ text: String) -> Bool {
        let sample =
            #/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.eE+-]+|NaN|[+-]Inf$/#
        return text.split(separator: "\n").allSatisfy { line in
            line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") || line.wholeMatch(of: sample) != nil
        }
    }

    @Test func webhooksDeployPushesAndRefuseWhatTheyShould() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        let daemon = try DaemonProcess(homelab: d.homelab, arguments: ["--poll-interval", "1h"])
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(
            daemon.waitFor(180) { daemon.deployedCommit() == first } != nil,
            "first poll deploys:\n\(daemon.log)"
        )

        // GitHub: a signed push to main deploys.
        let v2 = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "2")],
            message: "app v2"
        )
        let body = d.pushBody(after: v2)
        let accepted = try daemon.post("/hooks/github", headers: d.githubHeaders(body), body: body)
        #expect(accepted.status == 202, "\(accepted.text)")
        #expect(accepted.text.contains(#""poll":"queued""#), "\(accepted.text)")
        let github = daemon.waitFor(120) { daemon.deployedCommit() == v2 }
        try #require(github != nil, "GitHub push deployed:\n\(daemon.log)")
        print("measure: github hook to deployed \(String(format: "%.2f", github!)) s")
        #expect(try Containers.version(d.lab.app) == "2")

        // Gitea (and Forgejo/Gogs headers) sign with the bare hex digest.
        let v3 = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "3")],
            message: "app v3"
        )
        let giteaBody = d.pushBody(after: v3)
        let gitea = try daemon.post(
            "/hooks/gitea",
            headers: [("X-Gitea-Event", "push"), ("X-Gitea-Signature", String(d.signature(giteaBody).dropFirst(7)))],
            body: giteaBody
        )
        #expect(gitea.status == 202, "\(gitea.text)")
        let giteaSeconds = daemon.waitFor(120) { daemon.deployedCommit() == v3 }
        #expect(giteaSeconds != nil, "Gitea push deployed:\n\(daemon.log)")
        print("measure: gitea hook to deployed \(String(format: "%.2f", giteaSeconds ?? -1)) s")

        // GitLab sends the secret as a token.
        let v4 = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "4")],
            message: "app v4"
        )
        let gitlabBody = Data(
            #"{"object_kind":"push","ref":"refs/heads/main","after":"\#(v4)","checkout_sha":"\#(v4)"}"#.utf8
        )
        let gitlab = try daemon.post(
            "/hooks/gitlab",
            headers: [("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", d.secret)],
            body: gitlabBody
        )
        #expect(gitlab.status == 202, "\(gitlab.text)")
        let gitlabSeconds = daemon.waitFor(120) { daemon.deployedCommit() == v4 }
        #expect(gitlabSeconds != nil, "GitLab push deployed:\n\(daemon.log)")
        print("measure: gitlab hook to deployed \(String(format: "%.2f", gitlabSeconds ?? -1)) s")

        // A wrong signature: 401, nothing deployed, and the log never shows the secret.
        let v5 = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "5")],
            message: "app v5"
        )
        let forged = d.pushBody(after: v5)
        let refused = try daemon.post("/hooks/github", headers: d.githubHeaders(forged, secret: "wrong"), body: forged)
        #expect(refused.status == 401)
        let missing = try daemon.post("/hooks/generic", headers: [], body: forged)
        #expect(missing.status == 401)
        Thread.sleep(forTimeInterval: 3)
        #expect(daemon.deployedCommit() == v4, "a forged hook deployed nothing")

        // ping → 200; a push to another branch or a tag → 202 ignored, no poll.
        let pollsBefore = try daemon.metric("reconciler_polls_total")
        let ping = try Data(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/webhooks/github/ping-payload.json")
        )
        let pong = try daemon.post("/hooks/github", headers: d.githubHeaders(ping, event: "ping"), body: ping)
        #expect(pong.status == 200, "\(pong.text)")
        let other = d.pushBody(branch: "feature", after: v5)
        let ignored = try daemon.post("/hooks/github", headers: d.githubHeaders(other), body: other)
        #expect(ignored.status == 202)
        #expect(ignored.text.contains("ignored") && ignored.text.contains("feature"), "\(ignored.text)")
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try daemon.metric("reconciler_polls_total") == pollsBefore, "ping and ignored pushes poll nothing")

        // A burst of 20 hooks: one fetch.
        let burst = d.pushBody(after: v5)
        let headers = d.githubHeaders(burst)
        let statuses = Mutex20()
        DispatchQueue.concurrentPerform(iterations: 20) { _ in
            let status = (try? daemon.post("/hooks/github", headers: headers, body: burst))?.status ?? 0
            statuses.add(status)
        }
        #expect(statuses.values.allSatisfy { $0 == 202 }, "\(statuses.values)")
        #expect(daemon.waitFor(120) { daemon.deployedCommit() == v5 } != nil, "\(daemon.log)")
        Thread.sleep(forTimeInterval: 2)
        #expect(try daemon.metric("reconciler_polls_total") - pollsBefore == 1, "20 hooks, one poll")

        // `reconciler trigger` polls now.
        let v6 = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "6")],
            message: "app v6"
        )
        let trigger = try ReconcilerBinary.run(["trigger"], homelab: d.homelab)
        #expect(trigger.status == 0, "\(trigger.output)")
        let triggered = daemon.waitFor(120) { daemon.deployedCommit() == v6 }
        #expect(triggered != nil, "trigger deployed:\n\(daemon.log)")
        print("measure: trigger to deployed \(String(format: "%.2f", triggered ?? -1)) s")

        // /metrics is Prometheus text and the counters moved.
        let metrics = try daemon.get("/metrics").text
        #expect(Self.isPrometheusText(metrics), "\(metrics)")
        #expect(try daemon.metric("reconciler_webhooks_total{provider=\"github\",result=\"accepted\"}") >= 21)
        #expect(try daemon.metric("reconciler_webhooks_total{provider=\"github\",result=\"unauthorized\"}") == 1)
        #expect(try daemon.metric("reconciler_deployments_total{trigger=\"webhook\",result=\"succeeded\"}") >= 4)
        #expect(try daemon.metric("reconciler_deployments_total{trigger=\"trigger\",result=\"succeeded\"}") == 1)
        #expect(metrics.contains("reconciler_deployed_commit_info{commit=\"\(v6)\"} 1"))
        #expect(metrics.contains("reconciler_unit_up{unit=\"\(d.lab.app)\"} 1"))
        for name in [
            "reconciler_info", "reconciler_last_poll_timestamp_seconds",
            "reconciler_deployment_duration_seconds_bucket",
            "reconciler_rollbacks_total", "reconciler_fetch_failures_total", "reconciler_degraded", "reconciler_held",
            "reconciler_outage",
        ] {
            #expect(metrics.contains(name), "\(name) in /metrics")
        }

        // The status page names every unit and the deployed commit; nothing anywhere shows the secret.
        let page = try daemon.get("/").text
        for unit in d.lab.projects + ["system"] { #expect(page.contains(unit), "\(unit) on the page") }
        #expect(page.contains(String(v6.prefix(12))))
        let status = try daemon.get("/status").text
        for text in [page, status, metrics, daemon.log] { #expect(!text.contains(d.secret)) }
        let history = try decodeJSONArray(
            try ReconcilerBinary.run(["history", "--json", "--limit", "3"], homelab: d.homelab).stdout
        )
        #expect(history.first?["trigger"] as? String == "trigger")
        #expect(history.dropFirst().first?["trigger"] as? String == "webhook")

        let stop = daemon.terminate()
        #expect(stop.status == 0, "\(daemon.log)")
        let none = try ReconcilerBinary.run(["trigger"], homelab: d.homelab)
        #expect(none.status == 1)
        #expect(none.stderr.contains("no reconciler daemon"), "\(none.output)")
    }

    @Test func refusesToStartWithASecretFileOthersCanRead() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: d.secretFile)
        let run = try ReconcilerBinary.run(
            ["run", "--listen", "127.0.0.1:\(try DaemonProcess.freePort())"],
            homelab: d.homelab
        )
        #expect(run.status == 1, "\(run.output)")
        #expect(run.stderr.contains("chmod 600 \(d.secretFile)"), "\(run.output)")
        #expect(!run.output.contains(d.secret))
        try "".write(toFile: d.secretFile, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: d.secretFile)
        let empty = try ReconcilerBinary.run(
            ["run", "--listen", "127.0.0.1:\(try DaemonProcess.freePort())"],
            homelab: d.homelab
        )
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("is empty"), "\(empty.output)")
    }

    @Test func pollingAlonePicksUpAPushAndBacksOffWhileTheRemoteIsGone() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        let daemon = try DaemonProcess(homelab: d.homelab, arguments: ["--poll-interval", "1s"])
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == first } != nil, "\(daemon.log)")

        let v2 = try d.homelab.commit(
            ["services/\(d.lab.web)/compose.yml": Homelab.service(version: "2")],
            message: "web v2"
        )
        let seconds = daemon.waitFor(60) { daemon.deployedCommit() == v2 }
        #expect(seconds != nil, "polling deployed the push:\n\(daemon.log)")
        print("measure: push to deployed by polling (1 s interval) \(String(format: "%.2f", seconds ?? -1)) s")

        try FileManager.default.moveItem(atPath: d.homelab.remote, toPath: d.homelab.remote + ".gone")
        let failing = daemon.waitFor(60) {
            let failures = try daemon.daemonField("consecutiveFetchFailures") as? Int ?? 0
            let since = try daemon.daemonField("fetchFailingSince") as? String
            return failures >= 2 && since != nil
        }
        #expect(failing != nil, "back-off in /status:\n\(daemon.log)")
        let snapshot = try daemon.status()["daemon"] as? [String: Any] ?? [:]
        let formatter = ISO8601DateFormatter()
        if let last = (snapshot["lastPollAt"] as? String).flatMap(formatter.date(from:)),
            let next = (snapshot["nextPollAt"] as? String).flatMap(formatter.date(from:))
        {
            #expect(next.timeIntervalSince(last) > 1.5, "the next try is later than the interval: \(snapshot)")
        }
        #expect((snapshot["fetchError"] as? String)?.contains("origin") == true, "\(snapshot)")
        #expect(try daemon.get("/").text.contains("fetch failing"))
        let cli = try ReconcilerBinary.run(["status"], homelab: d.homelab)
        #expect(cli.stdout.contains("FETCH FAILING since"), "\(cli.output)")
        #expect(try daemon.metric("reconciler_fetch_failures_total") >= 2)

        try FileManager.default.moveItem(atPath: d.homelab.remote + ".gone", toPath: d.homelab.remote)
        let recovered = daemon.waitFor(60) { (try daemon.daemonField("fetchFailingSince")) == nil }
        #expect(recovered != nil, "recovery when the remote returns:\n\(daemon.log)")
        #expect(try daemon.daemonField("consecutiveFetchFailures") as? Int == 0)
        #expect(daemon.log.contains("fetch works again"))
    }
}

/// Statuses collected from concurrent requests.
final class Mutex20: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func add(_ value: Int) { lock.withLock { list.append(value) } }
    var values: [Int] { lock.withLock { list } }
}
