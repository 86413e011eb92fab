import Foundation
import Git

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a commit's files under some directories into a scratch directory, so the target commit can be validated
/// (and a pruned unit taken down with its old files) without touching the work tree.
package struct TreeMaterializer {
    package let repository: Repository

    package init(repository: Repository) {
        self.repository = repository
    }

    /// Writes every file of `commit` under each of `directories` (repo-relative) into `destination`, keeping paths.
    /// Untracked files directly in the work tree's copy of each directory (`.env`, `*.env`) are copied beside them,
    /// because Compose reads them; nothing else untracked is copied.
    package func materialize(
        commit: ObjectID,
        directories: [String],
        into destination: String,
        entries: [TreeEntry]
    ) throws {
        let fm = FileManager.default
        for dir in Set(directories) {
            let prefix = dir.isEmpty ? "" : dir + "/"
            // Files directly beside the directory come along too: an instance's `extends: ../compose.base.yml` or
            // `env_file: ../shared.env` names them (services/sonarr/compose.base.yml beside services/sonarr/shows).
            let parent = (dir as NSString).deletingLastPathComponent
            let parentPrefix = parent.isEmpty ? "" : parent + "/"
            for entry in entries where entry.kind != .submodule {
                let beside =
                    !dir.isEmpty && entry.path.hasPrefix(parentPrefix)
                    && !entry.path.dropFirst(parentPrefix.count).contains("/")
                guard entry.path.hasPrefix(prefix) || beside else { continue }
                try write(entry, commit: commit, into: destination)
            }
            try fm.createDirectory(atPath: "\(destination)/\(dir)", withIntermediateDirectories: true)
            copyEnvFiles(from: "\(repository.workdir)/\(dir)", to: "\(destination)/\(dir)")
        }
    }

    private func write(_ entry: TreeEntry, commit: ObjectID, into destination: String) throws {
        let fm = FileManager.default
        let target = "\(destination)/\(entry.path)"
        try fm.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        if entry.kind == .symlink {
            if let link = try repository.symlinkTarget(of: entry.path, at: commit) {
                try? fm.removeItem(atPath: target)
                try fm.createSymbolicLink(atPath: target, withDestinationPath: link)
            }
            return
        }
        let data = try repository.contents(of: entry.path, at: commit) ?? Data()
        try Self.writeScratch(data, to: target, mode: entry.kind == .executable ? 0o755 : 0o644)
    }

    /// Writes `data` to `path` (created, or emptied first) with exactly `mode`. A scratch copy lives for one check, so
    /// there is no temporary file, rename or `fsync` per file (what `FileManager.createFile` does: on a services root
    /// of thousands of files, seconds); a file of mode 0600 is never readable by others, not even for a moment.
    static func writeScratch(_ data: Data, to path: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ScratchWriteError(path: path, errno: errno) }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw ScratchWriteError(path: path, errno: errno) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ScratchWriteError(path: path, errno: errno)
                }
                offset += written
            }
        }
    }

    /// ``copyEnvFiles(from:to:)`` for `source` and every directory below it that also exists under `destination`
    /// (`.git` and symlinked directories skipped), found from directory entries' types (``EnvFileScan``): no `stat`
    /// or owner lookup per file of the work tree.
    package func copyEnvFilesRecursively(from source: String, to destination: String) {
        guard Self.isRealDirectory(destination) else { return }
        for path in EnvFileScan.files(under: source, named: Self.isEnvFile) {
            let relative = String(path.dropFirst(source.count + 1))
            let directory = (relative as NSString).deletingLastPathComponent
            // Only into a real directory of the copy: never through a link the commit put there.
            var target = destination
            var real = true
            for component in directory.split(separator: "/") where real {
                target += "/\(component)"
                real = Self.isRealDirectory(target)
            }
            guard real else { continue }
            copyEnvFile(from: path, to: "\(target)/\((relative as NSString).lastPathComponent)")
        }
    }

    /// Copies `.env` and `*.env` files (the operator's secrets) from `source` to `destination`, mode 0600.
    package func copyEnvFiles(from source: String, to destination: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: source) else { return }
        for name in names where Self.isEnvFile(name) {
            let from = "\(source)/\(name)"
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: from, isDirectory: &isDir), !isDir.boolValue else { continue }
            copyEnvFile(from: from, to: "\(destination)/\(name)")
        }
    }

    /// True when `path` is a directory itself, not a link to one (`lstat`): what may be written into or linked to.
    package static func isRealDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// `.env`, or `*.env` other than `.env.example`.
    private static func isEnvFile(_ name: String) -> Bool {
        name == ".env" || (name.hasSuffix(".env") && name != ".env.example")
    }

    /// One secret file, mode 0600; one that cannot be read or written is left out (the check then names what is
    /// missing, as it would after a checkout without it).
    private func copyEnvFile(from source: String, to destination: String) {
        guard let data = FileManager.default.contents(atPath: source) else { return }
        try? Self.writeScratch(data, to: destination, mode: 0o600)
    }
}

/// A scratch file could not be written (the state directory's file system full, or read-only).
struct ScratchWriteError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "cannot write the scratch copy \(path): \(String(cString: strerror(errno)))" }
}
