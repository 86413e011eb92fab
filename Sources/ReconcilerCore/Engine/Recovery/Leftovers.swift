import Foundation

/// Processes a deploy started carry a marker in their environment, so that after a crash the next reconciler can
/// find what the dead one left running (a `compose up` half-way through) and let it finish before rolling back —
/// two Compose processes working on one project at once leave it in a state neither intended.
package enum Leftovers {
    package static let variable = "RECONCILER_DEPLOYMENT"

    /// The marker value for one deployment of one state store.
    package static func tag(store: StateStore, deployment: Int64) -> String {
        "\(store.path)#\(deployment)"
    }

    /// Pids of live processes whose environment carries `tag` (Linux /proc; none elsewhere).
    package static func processes(tag: String) -> [pid_t] {
        let needle = Array("\(variable)=\(tag)".utf8) + [0]
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid(),
                let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
            else { continue }
            if isZombie(pid) { continue }
            let bytes = [UInt8](environ)
            // Each variable is NUL-terminated; match a whole one.
            var start = 0
            for (i, b) in bytes.enumerated() where b == 0 {
                if bytes[start...i].elementsEqual(needle) {
                    found.append(pid)
                    break
                }
                start = i + 1
            }
        }
        return found
    }

    private static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        let rest = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces)
        return rest.hasPrefix("Z") || rest.hasPrefix("X")
    }

    /// Waits up to `timeout` for the processes carrying `tag` to end, then kills what is left. Returns how many there were.
    @discardableResult
    package static func settle(tag: String, timeout: Duration) async -> Int {
        let initial = processes(tag: tag)
        if initial.isEmpty { return 0 }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if processes(tag: tag).isEmpty { return initial.count }
            try? await Task.sleep(for: .milliseconds(250))
        }
        for pid in processes(tag: tag) { kill(pid, SIGKILL) }
        try? await Task.sleep(for: .milliseconds(250))
        return initial.count
    }
}
