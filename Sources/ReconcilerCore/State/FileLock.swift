import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who holds the reconciler lock, as written into the lock file.
package struct LockHolder: Codable, Sendable, Equatable {
    package var pid: Int32
    /// The command line, e.g. `reconciler sync`.
    package var command: String
    package var startedAt: Date
    package var host: String

    package init(pid: Int32, command: String, startedAt: Date, host: String) {
        self.pid = pid
        self.command = command
        self.startedAt = startedAt
        self.host = host
    }
}

/// One reconciler per repository: an exclusive `flock` on a file in the state directory.
///
/// The kernel drops the lock when the holding process dies, however it dies (`kill -9` too), so
/// there is no stale lock to clean up. The file itself is never removed: unlinking a lock file
/// lets two processes lock two different files.
package final class FileLock: Sendable {
    /// The lock file.
    package let path: String
    private let descriptor: Mutex<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    deinit { release() }

    /// Takes the lock without waiting, and writes this process as the holder into the file.
    /// - Parameters:
    ///   - path: The lock file, created if missing (with its directory).
    ///   - command: What this process is doing, shown to whoever finds the lock held.
    /// - Throws: ``LockError`` with code `held` and the holder when another process has it.
    package static func acquire(path: String, command: String) throws(LockError) -> FileLock {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try? FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw LockError(
                code: .unavailable,
                path: path,
                holder: nil,
                message: "cannot open \(path): \(String(cString: strerror(errno)))"
            )
        }
        // A lock file made by an older version, or by hand, may be world-readable: it names who runs what.
        _ = fchmod(fd, 0o600)
        // flock belongs to the open file description: a second open of the same file in this very
        // process conflicts too, so one process cannot run two reconcilers either.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = code == EWOULDBLOCK ? readHolder(fd) : nil
            close(fd)
            if code == EWOULDBLOCK {
                throw LockError(code: .held, path: path, holder: holder, message: "held by another process")
            }
            throw LockError(
                code: .unavailable,
                path: path,
                holder: nil,
                message: "cannot lock \(path): \(String(cString: strerror(code)))"
            )
        }
        let holder = LockHolder(pid: getpid(), command: command, startedAt: Date(), host: currentHostName())
        writeHolder(holder, to: fd)
        return FileLock(path: path, descriptor: fd)
    }

    /// Releases the lock (idempotent). The holder is erased first, so the file never names a process
    /// that no longer holds it.
    package func release() {
        descriptor.withLock { fd in
            guard let open = fd else { return }
            _ = ftruncate(open, 0)
            _ = flock(open, LOCK_UN)
            close(open)
            fd = nil
        }
    }

    private static func writeHolder(_ holder: LockHolder, to fd: Int32) {
        // The holder is information for people; the flock is the lock. A failed write is not fatal.
        guard var data = try? encoder.encode(holder) else { return }
        data.append(UInt8(ascii: "\n"))
        _ = ftruncate(fd, 0)
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    private static func readHolder(_ fd: Int32) -> LockHolder? {
        // The holder writes its JSON just after it locks; a moment later it is there.
        for attempt in 0..<5 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            if count > 0, let holder = try? decoder.decode(LockHolder.self, from: Data(buffer[..<count])) {
                return holder
            }
            if count != 0 || attempt == 4 { return nil }
            usleep(20_000)
        }
        return nil
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// One reconciler per repository, not per state directory: the lock in the state directory and a second one in
/// the repository's git directory. Two runs with different `--state-dir` on one work tree meet at the second.
package struct ReconcilerLocks: Sendable {
    /// The lock file's name in both directories.
    package static let fileName = "reconciler.lock"

    package let state: FileLock
    package let repository: FileLock

    /// Takes the state directory's lock, then the git directory's; neither is kept when the other is held.
    /// - Parameters:
    ///   - stateDirectory: The state directory (created 0700 if missing).
    ///   - gitDirectory: The repository's git directory (`Repository.gitDirectory()`).
    ///   - command: What this process is doing, shown to whoever finds a lock held.
    /// - Throws: ``LockError`` (code `held`, exit 4) naming the lock file that is held and its holder.
    package static func acquire(
        stateDirectory: String,
        gitDirectory: String,
        command: String
    ) throws(LockError)
        -> ReconcilerLocks
    {
        let state = try FileLock.acquire(path: "\(stateDirectory)/\(fileName)", command: command)
        do {
            let repository = try FileLock.acquire(path: "\(gitDirectory)/\(fileName)", command: command)
            return ReconcilerLocks(state: state, repository: repository)
        } catch {
            state.release()
            throw error
        }
    }

    /// Like ``acquire(stateDirectory:gitDirectory:command:)``, waiting up to `patience` for each lock while the
    /// daemon holds it for one of its short polls.
    package static func acquire(
        stateDirectory: String,
        gitDirectory: String,
        command: String,
        patience: Duration
    ) throws(LockError) -> ReconcilerLocks {
        let state = try FileLock.acquire(path: "\(stateDirectory)/\(fileName)", command: command, patience: patience)
        do {
            let repository = try FileLock.acquire(
                path: "\(gitDirectory)/\(fileName)",
                command: command,
                patience: patience
            )
            return ReconcilerLocks(state: state, repository: repository)
        } catch {
            state.release()
            throw error
        }
    }

    /// Releases both (idempotent).
    package func release() {
        repository.release()
        state.release()
    }
}

/// The lock is held by another reconciler, or cannot be taken at all.
package struct LockError: Error, Sendable, CustomStringConvertible {
    /// Closed: a `switch` over it is exhaustive.
    package enum Code: String, Hashable, Sendable, CustomStringConvertible {

        /// Another process holds the lock (exit code 4).
        case held = "held"
        /// The lock file cannot be opened or locked (a permission or file-system problem).
        case unavailable = "unavailable"

        package var description: String { rawValue }
    }

    package let code: Code
    /// The lock file.
    package let path: String
    /// Who holds it, when the file names a reconciler (nil for any other kind of holder).
    package let holder: LockHolder?
    package let message: String

    package init(code: Code, path: String, holder: LockHolder?, message: String) {
        self.code = code
        self.path = path
        self.holder = holder
        self.message = message
    }

    package var description: String {
        guard code == .held else {
            return "\(message) — check that the state directory is writable by this user"
        }
        guard let holder else {
            return "another process holds \(path) — wait for it to finish, or stop it"
        }
        var who = "pid \(holder.pid) (\(holder.command))"
        if holder.host != currentHostName() { who += " on \(holder.host)" }
        return "another reconciler holds \(path): \(who), since \(Self.format(holder.startedAt))"
            + " — wait for it to finish, or stop it"
    }

    /// `2026-11-26 23:12:01Z`: UTC, to the second, readable in a terminal.
    private static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }
}

/// This machine's name, from `gethostname` (Foundation's `hostName` may wait on a DNS lookup).
func currentHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
