import Foundation
import ReconcilerTesting

#if canImport(Glibc)
import Glibc
#endif

/// A throw-away OpenSSH server on 127.0.0.1 for fetch tests: its own host key, config, authorized key and pid
/// file in a temporary directory; never the system's /etc/ssh or sshd. Runs as the test user (root in CI).
final class SSHServer {
    let directory: TemporaryDirectory
    let port: Int
    /// The client key the server accepts (private key path; `.pub` beside it).
    let clientKey: String
    /// A key the server does not accept.
    let wrongKey: String
    /// A `known_hosts` holding the server's host key under `[127.0.0.1]:port`.
    let knownHosts: String
    /// The host key's `type base64` text.
    let hostKey: String
    private let pid: pid_t

    init() throws {
        directory = try TemporaryDirectory(prefix: "sshd")
        let dir = directory.path
        // sshd refuses to start without its privilege separation directory.
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        for key in ["host_ed25519", "client_ed25519", "wrong_ed25519"] {
            try Command.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key, "-f", "\(dir)/\(key)"])
        }
        clientKey = "\(dir)/client_ed25519"
        wrongKey = "\(dir)/wrong_ed25519"
        let hostPublic = try String(contentsOfFile: "\(dir)/host_ed25519.pub", encoding: .utf8)
        hostKey = hostPublic.split(separator: " ").prefix(2).joined(separator: " ")

        var lastError: Error?
        for _ in 0..<5 {
            let port = try closedPort()
            let config = """
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(dir)/host_ed25519
                PidFile \(dir)/sshd.pid
                AuthorizedKeysFile \(dir)/client_ed25519.pub
                StrictModes no
                UsePAM no
                PermitRootLogin prohibit-password
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                AllowUsers root
                LogLevel VERBOSE

                """
            try config.write(toFile: "\(dir)/sshd_config", atomically: true, encoding: .utf8)
            let pid = try spawnClosingDescriptors(
                ["/usr/sbin/sshd", "-D", "-e", "-f", "\(dir)/sshd_config"],
                log: "\(dir)/sshd.log"
            )
            if waitForPort(port, timeout: .seconds(10)) {
                self.port = port
                self.pid = pid
                knownHosts = "\(dir)/known_hosts"
                try "[127.0.0.1]:\(port) \(hostKey)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
                return
            }
            stopProcess(pid)
            let log = (try? String(contentsOfFile: "\(dir)/sshd.log", encoding: .utf8)) ?? ""
            lastError = SocketError(what: "sshd did not listen on port \(port): \(log)", code: 0)
        }
        directory.remove()
        throw lastError!
    }

    /// `ssh://root@127.0.0.1:<port><path>`.
    func url(_ path: String) -> String { "ssh://root@127.0.0.1:\(port)\(path)" }

    var log: String { (try? String(contentsOfFile: directory.appending("sshd.log"), encoding: .utf8)) ?? "" }

    func stop() {
        stopProcess(pid)
        directory.remove()
    }
}

/// Starts `argv` in the background with stdin from /dev/null and stdout/stderr appended to `log`, closing every
/// other descriptor in the child. Foundation's `Process` is not used: a long-lived child started with it while
/// other tests run git through `Process` inherits their exit-notification sockets, and their `waitUntilExit()`
/// then waits for this child instead.
func spawnClosingDescriptors(_ argv: [String], log: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // glibc >= 2.34 has posix_spawn_file_actions_addclosefrom_np, but Swift's Glibc module does not export it.
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
    } else if let open = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
        for fd in open.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }
    let cArguments = argv.map { strdup($0) } + [nil]
    defer { for argument in cArguments { free(argument) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
    guard rc == 0 else { throw SocketError(what: "posix_spawn \(argv[0])", code: rc) }
    return pid
}

/// SIGTERM, then reap.
func stopProcess(_ pid: pid_t) {
    kill(pid, SIGTERM)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
}
