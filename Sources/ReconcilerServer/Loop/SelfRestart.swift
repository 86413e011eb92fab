import Foundation

/// Whether the daemon should restart itself: its unit file or its executable changed since it started.
///
/// A switch does not restart the daemon (the NixOS module sets `restartIfChanged = false`: the switch is usually the
/// daemon's own, and a restart would kill it mid-deploy). So, as comin does, the daemon checks after each poll, once
/// the deployment's state is written, and ends its loop when either changed; it exits 0 and systemd's
/// `Restart=always` starts the new binary with the new unit. The unit file is named by `RECONCILER_UNIT_FILE`, which
/// both shipped units set; without it (a daemon started by hand or by a test) nothing is watched.
package struct SelfRestart: Sendable {
    struct Fingerprint: Equatable, Sendable {
        var unit: Data?
        var executable: FileIdentity?
    }

    struct FileIdentity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var modified: Int
    }

    let unitFile: String
    let executable: String
    let start: Fingerprint

    /// Watches `unitFile` and `executable` from now on.
    package init(unitFile: String, executable: String) {
        self.unitFile = unitFile
        self.executable = executable
        self.start = Self.fingerprint(unitFile: unitFile, executable: executable)
    }

    /// The watch the environment asks for: `RECONCILER_UNIT_FILE` and the running executable; nil without it.
    package static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Self?
    {
        guard let unit = environment["RECONCILER_UNIT_FILE"], !unit.isEmpty else { return nil }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return SelfRestart(unitFile: unit, executable: executable.replacingOccurrences(of: " (deleted)", with: ""))
    }

    /// What changed since the start, in words for the log; nil when nothing did.
    package func reason() -> String? {
        let now = Self.fingerprint(unitFile: unitFile, executable: executable)
        if now.unit != start.unit {
            return "the unit file \(unitFile) changed"
        }
        if now.executable != start.executable {
            return "the executable \(executable) was replaced"
        }
        return nil
    }

    static func fingerprint(unitFile: String, executable: String) -> Fingerprint {
        Fingerprint(
            unit: FileManager.default.contents(atPath: unitFile),
            executable: executable.isEmpty ? nil : identity(executable)
        )
    }

    static func identity(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(
            device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino),
            modified: Int(info.st_mtim.tv_sec)
        )
    }
}
