import Foundation
import ReconcilerCore
import ReconcilerServer
import ReconcilerTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Self-heal, SIGTERM and notifications of `reconciler run`, against the real Docker engine.
@Suite(.serialized)
struct DaemonHealTests {
    /// A long-running service Docker is told to keep running.
    static func keeper(version: String) -> String {
        """
        services:
          app:
            image: \(DockerRig.testImage)
            command: ["sh", "-c", "exec sleep 3600"]
            network_mode: none
            stop_signal: SIGKILL
            restart: unless-stopped
            labels:
              homelab.version: "\(version)"
        """
    }

    /// A service that dies after a while, every time: Docker retries once, then gives up.
    static let crasher = """
        services:
          app:
            image: \(DockerRig.testImage)
            command: ["sh", "-c", "sleep 6; exit 1"]
            network_mode: none
            stop_signal: SIGKILL
            restart: on-failure:1
        """

    func heals(_ homelab: Homelab, unit: String) throws -> Int {
        let history = try decodeJSONArray(
            try ReconcilerBinary.run(["history", "--json", "--limit", "100"], homelab: homelab).stdout
        )
        return history.filter { entry in
            entry["trigger"] as? String == "heal"
                && ((entry["steps"] as? [[String: Any]]) ?? []).contains { $0["unit"] as? String == unit }
        }.count
    }

    @Test func stoppedContainerIsHealedAndACrashLoopExhaustsTheBudget() throws {
        let keep = "keep\(UUID().uuidString.lowercased().filter(\.isLetter).prefix(5))"
        let crash = "crash\(UUID().uuidString.lowercased().filter(\.isLetter).prefix(5))"
        let d = try DaemonLab(extraFiles: [
            "services/\(keep)/compose.yml": Self.keeper(version: "1"), "services/\(crash)/compose.yml": Self.crasher,
        ])
        defer { d.lab.tearDown(extraProjects: [keep, crash]) }
        let daemon = try DaemonProcess(homelab: d.homelab, arguments: ["--poll-interval", "1s", "--heal-budget", "2"])
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == first } != nil, "\(daemon.log)")

        // `docker stop` of a deployed unless-stopped service: the next poll brings it back.
        let before = try Containers.running(keep)
        try #require(before.count == 1)
        try Command.check(["docker", "stop", before[0]], environment: DockerRig.environment)
        // Healed = the heal (compose up and health gate) finished and was counted.
        let healed = daemon.waitFor(90) { try daemon.metric("reconciler_heals_total{unit=\"\(keep)\"}") >= 1 }
        #expect(healed != nil, "healed:\n\(daemon.log)")
        print("measure: docker stop to healed \(String(format: "%.2f", healed ?? -1)) s")
        #expect(try Containers.running(keep).count == 1)
        #expect(try heals(d.homelab, unit: keep) == 1)

        // The crasher dies again after each heal: two heals, then the budget is exhausted and reported.
        let exhausted = daemon.waitFor(150) {
            let budget = try daemon.daemonField("healBudget") as? [String: Any]
            return (budget?[crash] as? [String: Any])?["exhausted"] as? Bool == true
                && daemon.log.contains("budget exhausted")
        }
        #expect(exhausted != nil, "budget exhausted:\n\(daemon.log)")
        Thread.sleep(forTimeInterval: 10)
        #expect(try heals(d.homelab, unit: crash) == 2, "no heal past the budget")
        #expect(daemon.log.components(separatedBy: "budget exhausted").count - 1 == 1, "reported once")
        #expect(try daemon.get("/").text.contains("exhausted"))
        // An operator's stop is left alone.
        #expect(try ReconcilerBinary.run(["stop", keep], homelab: d.homelab).status == 0)
        Thread.sleep(forTimeInterval: 4)
        #expect(try Containers.running(keep).isEmpty, "a stopped unit stays stopped")
        #expect(daemon.terminate().status == 0)
    }

    @Test func sigtermDuringASlowHealthGateExitsZeroAndTheNextStartIsConsistent() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        var daemon = try DaemonProcess(
            homelab: d.homelab,
            arguments: ["--poll-interval", "1s", "--shutdown-grace", "3s"]
        )
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == first } != nil, "\(daemon.log)")

        let slow = try d.homelab.commit(
            ["services/\(d.lab.web)/compose.yml": Homelab.service(version: "2", slowStart: 12)],
            message: "web v2, slow to start"
        )
        // Wait until the deploy is inside web's health gate.
        let mark = daemon.log.count
        let inGate = daemon.waitFor(60) {
            let recent = daemon.log.dropFirst(mark)
            return recent.contains("step started") && recent.contains("unit=\(d.lab.web)")
        }
        try #require(inGate != nil, "\(daemon.log)")
        Thread.sleep(forTimeInterval: 2)
        let stop = daemon.terminate(timeout: 60)
        #expect(stop.status == 0, "exit status; log:\n\(daemon.log)")
        #expect(stop.seconds < 20, "bounded: \(stop.seconds) s")
        print("measure: SIGTERM during a health gate to exit \(String(format: "%.2f", stop.seconds)) s")

        // The next start recovers (the interrupted deploy is closed) and deploys the commit again.
        daemon.stop()
        daemon = try DaemonProcess(homelab: d.homelab, arguments: ["--poll-interval", "1s"])
        let redeployed = daemon.waitFor(120) { daemon.deployedCommit() == slow }
        #expect(redeployed != nil, "\(daemon.log)")
        let history = try decodeJSONArray(
            try ReconcilerBinary.run(["history", "--json", "--limit", "5"], homelab: d.homelab).stdout
        )
        #expect(history.contains { $0["result"] as? String == "interrupted" }, "\(history.map { $0["result"] ?? "" })")
        #expect(!history.contains { $0["result"] as? String == "running" })
        #expect(try Containers.version(d.lab.web) == "2")
        let status = try daemon.status()
        #expect(status["state"] as? String == "ok", "\(status)")
    }

    @Test func aReceiverGetsOneNotificationPerDeployAndADownReceiverBlocksNothing() throws {
        let receiver = try NotificationReceiver()
        defer { receiver.stop() }
        let d = try DaemonLab(
            extraConfig:
                #""notify": [{"kind": "webhook", "url": "http://127.0.0.1:\#(receiver.port)/hook", "events": ["succeeded", "failed", "rolledBack"]}]"#
        )
        defer { d.tearDown() }
        let daemon = try DaemonProcess(homelab: d.homelab, arguments: ["--poll-interval", "1s"])
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == first } != nil, "\(daemon.log)")
        #expect(receiver.waitForCount(1, timeout: 30), "first deploy notified")
        let v2 = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "2")],
            message: "app v2"
        )
        #expect(daemon.waitFor(120) { daemon.deployedCommit() == v2 } != nil)
        #expect(receiver.waitForCount(2, timeout: 30))
        let bad = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "3", healthy: false)],
            message: "app v3 broken"
        )
        #expect(receiver.waitForCount(3, timeout: 120), "\(daemon.log)")
        Thread.sleep(forTimeInterval: 3)
        let bodies = receiver.bodies
        #expect(bodies.count == 3, "one per deploy: \(bodies)")
        #expect(bodies.first?["result"] as? String == "succeeded")
        #expect(bodies.dropFirst().first?["commit"] as? String == v2)
        #expect(bodies.last?["result"] as? String == "rolledBack")
        #expect(bodies.last?["commit"] as? String == bad)

        // The receiver goes away: the next deploy still succeeds, on time.
        receiver.stop()
        let v4 = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "4")],
            message: "app v4"
        )
        #expect(daemon.waitFor(120) { daemon.deployedCommit() == v4 } != nil, "\(daemon.log)")
        #expect(try Containers.version(d.lab.app) == "4")
    }
}

/// A tiny HTTP receiver on loopback that records JSON bodies (a stand-in for a chat webhook).
final class NotificationReceiver: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var received: [[String: Any]] = []
    private var stopped = false

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw DaemonTestError("receiver: cannot listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65536)
            var tv = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            while true {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { break }
                data += buffer[0..<n]
                if let end = data.firstRange(of: [13, 10, 13, 10]) {
                    let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).lowercased()
                    let length =
                        head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                        ?? 0
                    if data.count - end.upperBound >= length {
                        let body = Data(data[end.upperBound..<(end.upperBound + length)])
                        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
                            lock.withLock { received.append(object) }
                        }
                        break
                    }
                }
            }
            let reply = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            _ = reply.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }

    var bodies: [[String: Any]] { lock.withLock { received } }

    func waitForCount(_ n: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if bodies.count >= n { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        if first {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }
}
