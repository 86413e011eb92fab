import Foundation
import ReconcilerTesting
import Testing

@testable import ReconcilerCore

@Suite struct FileLockTests {
    @Test func secondAcquireInTheSameProcessFailsUntilReleased() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.appending("reconciler.lock")

        let lock = try FileLock.acquire(path: path, command: "reconciler sync")
        let error = #expect(throws: LockError.self) { _ = try FileLock.acquire(path: path, command: "reconciler run") }
        #expect(error?.code == .held)
        #expect(error?.holder?.pid == getpid())
        #expect(error?.holder?.command == "reconciler sync")
        #expect(error?.holder?.host == currentHostName())
        let description = error?.description ?? ""
        #expect(description.hasPrefix("another reconciler holds \(path): pid \(getpid()) (reconciler sync), since "))
        #expect(description.hasSuffix("Z — wait for it to finish, or stop it"))

        lock.release()
        lock.release()  // idempotent
        let again = try FileLock.acquire(path: path, command: "reconciler run")
        again.release()
    }

    @Test func deinitReleases() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.appending("sub/reconciler.lock")
        do { _ = try FileLock.acquire(path: path, command: "reconciler sync") }
        let lock = try FileLock.acquire(path: path, command: "reconciler sync")
        lock.release()
    }

    @Test func anotherProcessHoldsItUntilKilled() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.appending("reconciler.lock")
        // A stand-in reconciler: takes the lock with flock(1), writes the holder JSON, and sleeps.
        let holderJSON =
            #"{"pid":%d,"command":"reconciler sync","startedAt":"2026-11-26T23:12:01Z","host":"elsewhere"}"#
        let script = """
            printf '\(holderJSON)' $$ > "$0"
            exec sleep 30
            """
        let child = try Spawned(["flock", "-n", path, "sh", "-c", script, path])
        defer { child.kill() }
        try child.waitUntil { (try? String(contentsOfFile: path, encoding: .utf8))?.contains("}") == true }

        let error = #expect(throws: LockError.self) { _ = try FileLock.acquire(path: path, command: "reconciler run") }
        #expect(error?.code == .held)
        let holder = try #require(error?.holder)
        #expect(holder.command == "reconciler sync")
        #expect(holder.host == "elsewhere")
        #expect(holder.pid != getpid())
        #expect(
            error?.description
                == "another reconciler holds \(path): pid \(holder.pid) (reconciler sync) on elsewhere, "
                + "since 2026-11-26 23:12:01Z — wait for it to finish, or stop it"
        )

        // SIGKILL, no cleanup: the kernel drops the lock with the last descriptor.
        // kill(2) returns before the process is gone, so give the kernel a moment to close its descriptors.
        Foundation.kill(holder.pid, SIGKILL)
        child.kill()
        var lock: FileLock?
        for _ in 0..<50 where lock == nil {
            lock = try? FileLock.acquire(path: path, command: "reconciler run")
            if lock == nil { usleep(100_000) }
        }
        #expect(lock != nil, "the lock is free once its holder died")
        lock?.release()
    }

    @Test func aHolderThatIsNoReconcilerIsReportedWithoutDetails() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.appending("reconciler.lock")
        let pidFile = dir.appending("sleeper.pid")
        let child = try Spawned(["flock", "-n", path, "sh", "-c", #"echo $$ > "$0"; exec sleep 30"#, pidFile])
        defer { child.kill() }
        var sleeper: Int32?
        try child.waitUntil {
            let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
            sleeper = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            return sleeper != nil
        }
        // flock(1) passes its descriptor on to the command: the sleep holds the lock as well.
        defer { if let sleeper { Foundation.kill(sleeper, SIGKILL) } }

        let error = #expect(throws: LockError.self) { _ = try FileLock.acquire(path: path, command: "reconciler run") }
        #expect(error?.code == .held)
        #expect(error?.holder == nil)
        #expect(error?.description == "another process holds \(path) — wait for it to finish, or stop it")
    }

    @Test func anUnwritableLocationIsNotReportedAsHeld() throws {
        let error = #expect(throws: LockError.self) {
            _ = try FileLock.acquire(path: "/proc/reconciler-test/reconciler.lock", command: "reconciler sync")
        }
        #expect(error?.code == .unavailable)
    }
}

/// A background process for tests that need one alive while they run.
private final class Spawned: Sendable {
    let process: SpawnedProcess

    init(_ argv: [String]) throws {
        process = try SpawnedProcess(argv)
    }

    func waitUntil(timeout: TimeInterval = 10, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(20_000)
        }
        throw SpawnedTimeout()
    }

    func kill() {
        process.kill(SIGKILL)
        process.wait()
    }
}

private struct SpawnedTimeout: Error {}
