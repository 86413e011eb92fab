import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state directory holds the deployment history, step logs and the lock: only root reads it. Modes are set
/// on every start, not only at creation, so a directory or database made earlier with wider modes (an older
/// version, a `mkdir` by hand, a restored backup) is narrowed too.
package enum StatePermissions {
    /// The files of a state directory that must be 0600 when present.
    package static let privateFiles = [
        "state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "state.sqlite-journal", "reconciler.lock",
    ]

    /// Creates `directory` if missing, and sets it to 0700 and its ``privateFiles`` to 0600.
    /// - Parameter directory: The state directory.
    /// - Throws: ``StatePermissionError`` naming the path that could not be created or narrowed.
    package static func secure(_ directory: String) throws(StatePermissionError) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory,
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700]
                )
            } catch {
                throw StatePermissionError(path: directory, message: "cannot create it: \(error)")
            }
        } else if !isDirectory.boolValue {
            throw StatePermissionError(path: directory, message: "is not a directory")
        }
        try narrow(directory, to: 0o700)
        for name in privateFiles {
            let path = "\(directory)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw StatePermissionError(path: path, message: "is not a regular file (a symlink?); remove it")
            }
            try narrow(path, to: 0o600)
        }
    }

    private static func narrow(_ path: String, to mode: mode_t) throws(StatePermissionError) {
        // Only a mode that is wrong is changed: a read-only or immutable file with the right mode is not a
        // permissions problem (a write to it fails later, and says so).
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o7777 == mode { return }
        guard chmod(path, mode) == 0 else {
            throw StatePermissionError(
                path: path,
                message: "cannot set mode \(String(mode, radix: 8)): \(String(cString: strerror(errno)))"
            )
        }
    }
}

/// The state directory or one of its files cannot be made private.
package struct StatePermissionError: Error, Sendable, CustomStringConvertible {
    package let path: String
    package let message: String

    package var description: String {
        "\(path): \(message) — the state directory must be private to the reconciler (0700, files 0600)"
    }
}
