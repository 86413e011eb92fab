import Foundation
import ReconcilerCore
import ReconcilerServer
import ReconcilerTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's front door on the real binary: a connection flood under a low file limit while a deploy runs, no
/// process per status request, and checked-out files with git's modes (0644/0755) whatever the daemon's umask.
@Suite(.serialized)
struct FrontDoorDaemonTests {
    /// Opens a loopback connection that sends nothing (non-blocking connect: never waits on a full backlog).
    static func idleConnection(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0, errno != EINPROGRESS {
            close(fd)
            return nil
        }
        return fd
    }

    /// Descriptors the process has open now.
    static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? -1
    }

    @Test func aConnectionFloodUnderALowFileLimitNeverFailsADeploy() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        let daemon = try DaemonProcess(
            homelab: d.homelab,
            arguments: ["--poll-interval", "1h"],
            launcher: ["prlimit", "--nofile=256:256", "--"]
        )
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(40) { daemon.deployedCommit() == first } != nil, "first deploy:\n\(daemon.log)")

        // 600 idle connections, more than the whole file limit, held while a deploy runs.
        var flood: [Int32] = []
        defer { for fd in flood { close(fd) } }
        for _ in 0..<600 { if let fd = Self.idleConnection(port: daemon.port) { flood.append(fd) } }
        #expect(flood.count == 600)

        let v2 = try d.homelab.commit(
            ["services/\(d.lab.app)/compose.yml": Homelab.service(version: "2", slowStart: 2)],
            message: "app v2"
        )
        let trigger = try ReconcilerBinary.run(["trigger"], homelab: d.homelab)
        #expect(trigger.status == 0, "trigger answers during the flood: \(trigger.output)")

        let quick = WireHTTPClient(.tcp(host: "127.0.0.1", port: daemon.port), timeout: .seconds(1))
        var checks = 0
        var healthFailures: [String] = []
        var mostOpen = 0
        let deadline = Date().addingTimeInterval(150)
        // Keep flooding (100 new connections a round, the oldest 100 let go) until the deploy is done.
        while Date() < deadline {
            for _ in 0..<100 { if let fd = Self.idleConnection(port: daemon.port) { flood.append(fd) } }
            for fd in flood.prefix(100) { close(fd) }
            flood.removeFirst(min(100, flood.count))
            mostOpen = max(mostOpen, Self.openDescriptors(daemon.pid))
            checks += 1
            do {
                let health = try quick.send(method: "GET", path: "/healthz")
                if health.status != 200 { healthFailures.append("HTTP \(health.status): \(health.text)") }
            } catch {
                healthFailures.append("\(error)")
            }
            let status = try? decodeJSON(try quick.send(method: "GET", path: "/status").text)
            let last = status?["lastDeployment"] as? [String: Any]
            if (status?["deployed"] as? [String: Any])?["commit"] as? String == v2,
                last?["result"] as? String != "running"
            {
                break
            }
        }
        print("measure: \(checks) rounds of 100 new connections; most descriptors open in the daemon: \(mostOpen)")
        #expect(healthFailures.isEmpty, "/healthz answered within a second every round: \(healthFailures.prefix(5))")
        #expect(mostOpen < 256, "the daemon stayed under its file limit")
        let status = try daemon.status()
        #expect(
            (status["deployed"] as? [String: Any])?["commit"] as? String == v2,
            "the deploy succeeded:\n\(daemon.log)"
        )
        let last = status["lastDeployment"] as? [String: Any]
        #expect(last?["result"] as? String == "succeeded", "nothing stays running: \(String(describing: last))")
        #expect(try Containers.version(d.lab.app) == "2")
        #expect(!daemon.log.contains("Too many open files"), "\(daemon.log)")
        // The connections the flood still holds were closed by the daemon (idle past the header deadline, or evicted).
        let again = try ReconcilerBinary.run(["trigger"], homelab: d.homelab)
        #expect(again.status == 0, "\(again.output)")
    }

    @Test func aBurstOfStatusRequestsStartsNoProcess() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        // A `docker` on PATH that records each call, then runs the real one.
        let real = try Command.check(["sh", "-c", "command -v docker"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let bin = d.homelab.dir.appending("bin")
        let calls = d.homelab.dir.appending("docker-calls.log")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\necho \"$*\" >> \(calls)\nexec \(real) \"$@\"\n".write(
            toFile: "\(bin)/docker",
            atomically: true,
            encoding: .utf8
        )
        chmod("\(bin)/docker", 0o755)
        // The daemon runs the Compose plugin itself (from $DOCKER_CONFIG/cli-plugins first): record those too.
        let plugins = d.homelab.dir.appending("docker-config/cli-plugins")
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        try "#!/bin/sh\necho \"compose $*\" >> \(calls)\nexec /usr/local/lib/docker/cli-plugins/docker-compose \"$@\"\n"
            .write(toFile: "\(plugins)/docker-compose", atomically: true, encoding: .utf8)
        chmod("\(plugins)/docker-compose", 0o755)
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let daemon = try DaemonProcess(
            homelab: d.homelab,
            arguments: ["--poll-interval", "1h"],
            environment: ["PATH": "\(bin):\(path)", "DOCKER_CONFIG": d.homelab.dir.appending("docker-config")]
        )
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(40) { daemon.deployedCommit() == first } != nil, "first deploy:\n\(daemon.log)")
        try #require(
            daemon.waitFor(60) {
                try daemon.daemonField("deploying") as? Bool == false && daemon.daemonField("lastPollAt") != nil
            } != nil
        )
        let count = { ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").count }
        let before = count()
        #expect(before > 0, "the wrapper records the deploy's docker calls")
        let answers = Mutex20()
        DispatchQueue.concurrentPerform(iterations: 60) { n in
            let response = try? daemon.get(["/status", "/", "/metrics"][n % 3])
            answers.add(response?.status ?? 0)
        }
        #expect(answers.values.allSatisfy { $0 == 200 }, "\(answers.values)")
        #expect(count() == before, "60 status requests started no process")
        let status = try daemon.status()
        let units = status["units"] as? [[String: Any]] ?? []
        let app = units.first { $0["id"] as? String == d.lab.app }
        #expect((app?["live"] as? String)?.hasPrefix("running") == true, "what the poll saw: \(units)")
    }

    @Test func checkedOutFilesGetGitsModesUnderAStrictUmask() throws {
        let d = try DaemonLab()
        defer { d.tearDown() }
        let app = d.lab.app
        func compose(_ version: String, extra: [String]) -> String {
            let files = (["/conf/app.conf", "/conf/conf.d/extra.conf"] + extra).map { "\"\($0)\"" }.joined(
                separator: ", "
            )
            return """
                services:
                  app:
                    image: \(DockerRig.testImage)
                    command: ["sh", "-c", "exec sleep 3600"]
                    user: "65534:65534"
                    network_mode: none
                    stop_signal: SIGKILL
                    labels:
                      homelab.version: "\(version)"
                    volumes:
                      - ./app.conf:/conf/app.conf:ro
                      - ./conf.d:/conf/conf.d:ro
                    healthcheck:
                      test: ["CMD", "cat", \(files)]
                      interval: 1s
                      timeout: 2s
                      retries: 2
                """
        }
        _ = try d.homelab.commit(
            [
                "services/\(app)/compose.yml": compose("1", extra: []),
                "services/\(app)/app.conf": "setting = 1\n",
                "services/\(app)/conf.d/extra.conf": "extra = 1\n",
            ],
            message: "app reads its config as a non-root user"
        )
        try d.homelab.git(["pull", "--quiet", "--ff-only"], in: d.homelab.deploy)
        // The lab's temporary directory is private to root; the container's user must reach the deploy clone.
        chmod(d.homelab.dir.path, 0o755)
        // The daemon under the strictest umask: what it checks out still gets git's modes.
        let daemon = try DaemonProcess(
            homelab: d.homelab,
            arguments: ["--poll-interval", "1h"],
            launcher: ["sh", "-c", "umask 077; exec \"$0\" \"$@\""]
        )
        defer { daemon.stop() }
        let first = try d.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(40) { daemon.deployedCommit() == first } != nil, "first deploy:\n\(daemon.log)")

        let v2 = try d.homelab.commit(
            [
                "services/\(app)/compose.yml": compose("2", extra: ["/conf/conf.d/more/more.conf"]),
                "services/\(app)/app.conf": "setting = 2\n",
                "services/\(app)/conf.d/more/more.conf": "more = 2\n",
            ],
            message: "app v2: a changed config and a new directory"
        )
        #expect(try ReconcilerBinary.run(["trigger"], homelab: d.homelab).status == 0)
        try #require(daemon.waitFor(150) { daemon.deployedCommit() == v2 } != nil, "v2 deployed:\n\(daemon.log)")
        let last = try daemon.status()["lastDeployment"] as? [String: Any]
        #expect(last?["result"] as? String == "succeeded", "the non-root healthcheck read the files: \(daemon.log)")
        let read = try Command.check(
            [
                "docker", "exec", try #require(Containers.running(app).first), "cat",
                "/conf/app.conf",
            ],
            environment: DockerRig.environment
        )
        #expect(read == "setting = 2\n")
        let mode = { (path: String) in
            ((try? FileManager.default.attributesOfItem(atPath: "\(d.homelab.deploy)/services/\(app)/\(path)"))?[
                .posixPermissions
            ] as? NSNumber)?.intValue ?? -1
        }
        #expect(mode("app.conf") == 0o644)
        #expect(mode("conf.d/more") == 0o755)
        #expect(mode("conf.d/more/more.conf") == 0o644)
        var info = stat()
        #expect(stat(d.homelab.stateDir, &info) == 0 && info.st_mode & 0o777 == 0o700, "the state stays private")
    }
}
