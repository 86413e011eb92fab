import Foundation
import ReconcilerCore
import ReconcilerServer
import ReconcilerTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `reconciler run` process on a loopback port, as systemd would run it, with its stderr in a file.
final class DaemonProcess: @unchecked Sendable {
    private(set) var process: SpawnedProcess! = nil
    let port: Int
    let logPath: String
    let homelab: Homelab

    /// Starts the daemon and waits until `/healthz` answers. `launcher` comes before the binary (`prlimit …`, a
    /// shell that sets the umask and execs it: the daemon keeps the launcher's pid).
    init(
        homelab: Homelab,
        arguments: [String] = [],
        environment: [String: String] = [:],
        launcher: [String] = []
    ) throws {
        self.homelab = homelab
        port = try Self.freePort()
        logPath = homelab.dir.appending("daemon-\(UUID().uuidString.prefix(6)).log")
        let arguments =
            ["run", "--repo", homelab.deploy, "--state-dir", homelab.stateDir, "--listen", "127.0.0.1:\(port)"]
            + arguments
        // posix_spawn, never Foundation's Process: it would reap the children of the product's runner in other tests.
        process = try SpawnedProcess(
            launcher + [ReconcilerBinary.path] + arguments,
            environment: DockerRig.environment.merging(environment, uniquingKeysWith: { _, b in b }),
            stdout: logPath,
            stderr: logPath
        )
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if !process.isRunning { throw DaemonTestError("the daemon exited \(process.wait()):\n\(log)") }
            if (try? get("/healthz"))?.status != nil { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw DaemonTestError("the daemon did not answer /healthz within 60 s:\n\(log)")
    }

    var pid: Int32 { process.pid }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var client: WireHTTPClient { WireHTTPClient(.tcp(host: "127.0.0.1", port: port), timeout: .seconds(30)) }

    func get(_ path: String) throws -> WireHTTPResponse {
        try client.send(method: "GET", path: path)
    }

    func post(_ path: String, headers: [(String, String)], body: Data) throws -> WireHTTPResponse {
        try client.send(method: "POST", path: path, headers: headers, body: body)
    }

    func status() throws -> [String: Any] {
        let response = try get("/status")
        return try decodeJSON(response.text)
    }

    func daemonField(_ key: String) throws -> Any? {
        (try status()["daemon"] as? [String: Any])?[key]
    }

    func deployedCommit() -> String? {
        ((try? status())?["deployed"] as? [String: Any])?["commit"] as? String
    }

    /// Polls until `condition` holds; returns the seconds it took, or nil on timeout.
    @discardableResult
    func waitFor(_ timeout: TimeInterval = 60, _ condition: () throws -> Bool) -> TimeInterval? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if (try? condition()) == true { return Date().timeIntervalSince(start) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    /// Sum of a counter's samples in /metrics whose line starts with `prefix`.
    func metric(_ prefix: String) throws -> Double {
        try get("/metrics").text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// SIGTERM, and the exit status and seconds it took.
    func terminate(timeout: TimeInterval = 120) -> (status: Int32?, seconds: TimeInterval) {
        let start = Date()
        kill(pid, SIGTERM)
        while process.isRunning, Date().timeIntervalSince(start) < timeout { Thread.sleep(forTimeInterval: 0.05) }
        let seconds = Date().timeIntervalSince(start)
        if process.isRunning {
            process.kill(SIGKILL)
            process.wait()
            return (nil, seconds)
        }
        return (process.wait(), seconds)
    }

    func stop() {
        if process.isRunning { _ = terminate(timeout: 30) }
    }

    /// Resident memory (KiB) and CPU time (seconds) from /proc.
    func resources() throws -> (rssKiB: Int, cpuSeconds: Double) {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let rss =
            status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? 0
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpu = (Double(fields[11])! + Double(fields[12])!) / ticks
        return (rss, cpu)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw DaemonTestError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct DaemonTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A lab for the daemon: the three-service homelab plus a private webhook secret file and the webhook config,
/// already checked out in the deploy clone (so the daemon reads it at start).
struct DaemonLab {
    let lab: Lab
    let secret: String
    let secretFile: String

    init(extraConfig: String = "", extraFiles: [String: String?] = [:]) throws {
        lab = try Lab()
        secret = "test-secret-\(UUID().uuidString)"
        secretFile = lab.homelab.dir.appending("webhook.secret")
        try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile)
        var extra = "\"webhook\": { \"secretFile\": \"\(secretFile)\" }"
        if !extraConfig.isEmpty { extra += ",\n  \(extraConfig)" }
        var files = extraFiles
        files["reconciler.json"] = lab.homelab.config(units: [lab.app: [lab.db], lab.web: [lab.app]], extra: extra)
        try lab.homelab.commit(files, message: "webhook settings")
        try lab.homelab.git(["pull", "--quiet", "--ff-only"], in: lab.homelab.deploy)
    }

    var homelab: Homelab { lab.homelab }

    func tearDown() { lab.tearDown() }

    func githubHeaders(_ body: Data, event: String = "push", secret: String? = nil) -> [(String, String)] {
        let signature = WebhookVerifier(secret: Array((secret ?? self.secret).utf8)).signature(Array(body))
        return [("X-Hub-Signature-256", signature), ("X-GitHub-Event", event), ("Content-Type", "application/json")]
    }

    func signature(_ body: Data) -> String {
        WebhookVerifier(secret: Array(secret.utf8)).signature(Array(body))
    }

    func pushBody(branch: String = "main", after: String) -> Data {
        let before = String(repeating: "1", count: 40)
        return Data(
            #"{"ref":"refs/heads/\#(branch)","before":"\#(before)","after":"\#(after)","deleted":false,"repository":{"full_name":"op/homelab"}}"#
                .utf8
        )
    }
}
