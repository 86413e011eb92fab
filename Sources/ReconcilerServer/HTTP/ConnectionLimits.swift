import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How many connections the daemon's HTTP servers keep open and for how long, sized from the process's file limit
/// (`RLIMIT_NOFILE`) so that a flood of connections never takes the descriptors a deploy needs (pipes to Compose, the
/// state database, the Engine API socket). docs/webhooks.md lists the numbers.
package struct ConnectionLimits: Sendable, Equatable {
    /// Open connections beyond this evict the oldest one.
    package var connections: Int
    /// Past this the server stops accepting until one closes (new ones wait in the kernel's backlog, no descriptor).
    package var hardConnections: Int
    /// A connection must send a complete request head this soon after it opens or after its last answer (the
    /// keep-alive idle time too).
    package var headerTimeout: Duration
    /// A request's body must arrive within this of its head: 1 MiB in 30 s, at least 35 KB/s.
    package var bodyTimeout: Duration
    /// The file limit the numbers came from, and the descriptors kept out of reach of connections.
    package var fileLimit: Int
    package var reserved: Int

    /// Connections of the trigger socket (a local unix socket, mode 0600): a few are plenty.
    package static let triggerConnections = 8

    package init(
        connections: Int,
        hardConnections: Int,
        headerTimeout: Duration = .seconds(5),
        bodyTimeout: Duration = .seconds(30),
        fileLimit: Int,
        reserved: Int
    ) {
        self.connections = connections
        self.hardConnections = hardConnections
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.fileLimit = fileLimit
        self.reserved = reserved
    }

    /// The limits for a process allowed `fileLimit` descriptors with `open` already in use: a quarter of the limit
    /// (at least 64) stays for deploys, the trigger socket gets its few, and the web server gets the rest, at most
    /// 1,024 connections.
    package static func forFileLimit(_ fileLimit: Int, open: Int) -> ConnectionLimits {
        let reserved = max(64, fileLimit / 4)
        let triggerHard = triggerConnections * 2
        let available = fileLimit - open - reserved - triggerHard
        let hard = min(max(available, 8), 1024)
        return ConnectionLimits(
            connections: max(4, hard - max(4, hard / 10)),
            hardConnections: hard,
            fileLimit: fileLimit,
            reserved: reserved
        )
    }

    /// Raises the soft file limit to the hard one (systemd's default is 1,024 soft, 524,288 hard; at most 65,536 is
    /// asked for), then sizes the limits from what the process has.
    package static func forThisProcess() -> ConnectionLimits {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            return forFileLimit(1024, open: openDescriptors())
        }
        let wanted = min(limit.rlim_max, 65_536)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        // RLIM_INFINITY is the largest value: clamped like any other.
        let current = Int(min(limit.rlim_cur, 65_536))
        return forFileLimit(current, open: openDescriptors())
    }

    /// The descriptors open now (`/proc/self/fd`), or a guess where that cannot be read.
    static func openDescriptors() -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count
        return entries.map { max(0, $0 - 1) } ?? 32
    }
}
