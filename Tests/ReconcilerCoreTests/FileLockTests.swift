import Foundation
import Git
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

/// One reconciler per repository: the lock also lives in the git directory. The state is private (0700/0600)
/// even when it existed before with wider modes.
@Suite struct RepositoryLockTests {
    private func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    /// Another process (flock(1), as a reconciler with its own `--state-dir` would) holds the work tree's git-dir
    /// lock: a run with a different state directory is refused naming that lock, and keeps no lock of its own.
    @Test func twoStateDirectoriesOnOneWorkTreeCannotBothDeploy() throws {
        let fixture = try GitFixture.make()
        defer { fixture.remove() }
        let gitDirectory = try Repository(at: fixture.clone).gitDirectory()
        #expect(gitDirectory == "\(fixture.clone)/.git")
        let stateA = fixture.directory.appending("state-a")
        let stateB = fixture.directory.appending("state-b")
        let repoLock = "\(gitDirectory)/reconciler.lock"
        let holderJSON =
            #"{"pid":%d,"command":"reconciler sync","startedAt":"2026-11-26T23:12:01Z","host":"elsewhere"}"#
        // One process holding both locks, as a reconciler with state A does: flock(1) on two descriptors, then
        // the shell becomes `sleep`, keeping them.
        let script = """
            exec 8>>"$0" 9>>"$1"
            flock -n 8 && flock -n 9 || exit 1
            printf '\(holderJSON)' $$ > "$0"
            exec sleep 30
            """
        try FileManager.default.createDirectory(atPath: stateA, withIntermediateDirectories: true)
        let other = try Spawned(["sh", "-c", script, repoLock, "\(stateA)/reconciler.lock"])
        defer { other.kill() }
        try other.waitUntil { (try? String(contentsOfFile: repoLock, encoding: .utf8))?.contains("}") == true }

        let error = #expect(throws: LockError.self) {
            _ = try ReconcilerLocks.acquire(
                stateDirectory: stateB,
                gitDirectory: gitDirectory,
                command: "reconciler sync"
            )
        }
        #expect(error?.code == .held)
        #expect(error?.path == repoLock)
        #expect(error?.description.hasPrefix("another reconciler holds \(repoLock): pid ") == true)
        // B's own state lock was given back.
        let bLock = try FileLock.acquire(path: "\(stateB)/reconciler.lock", command: "check")
        bLock.release()

        #expect(error?.holder?.pid == other.process.pid)
        other.kill()
        var locks: ReconcilerLocks?
        for _ in 0..<50 where locks == nil {
            locks = try? ReconcilerLocks.acquire(stateDirectory: stateB, gitDirectory: gitDirectory, command: "sync")
            if locks == nil { usleep(100_000) }
        }
        #expect(locks != nil, "free once the other reconciler is gone")
        // Held by this process now: a run with state A is refused too.
        #expect(throws: LockError.self) {
            _ = try ReconcilerLocks.acquire(stateDirectory: stateA, gitDirectory: gitDirectory, command: "sync")
        }
        locks?.release()
    }

    @Test func stateDirectoryAndFilesAreNarrowedEvenWhenTheyExisted() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = dir.appending("state")
        try FileManager.default.createDirectory(
            atPath: state,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        for name in ["state.sqlite", "state.sqlite-wal", "reconciler.lock"] {
            _ = FileManager.default.createFile(
                atPath: "\(state)/\(name)",
                contents: Data(),
                attributes: [.posixPermissions: 0o644]
            )
        }
        #expect(try mode(state) == 0o755)
        try StatePermissions.secure(state)
        #expect(try mode(state) == 0o700)
        #expect(try mode("\(state)/state.sqlite") == 0o600)
        #expect(try mode("\(state)/state.sqlite-wal") == 0o600)
        #expect(try mode("\(state)/reconciler.lock") == 0o600)

        let fresh = dir.appending("fresh/state")
        try StatePermissions.secure(fresh)
        #expect(try mode(fresh) == 0o700)
    }

    @Test func aLockFileWithWiderModesIsNarrowed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.appending("reconciler.lock")
        _ = FileManager.default.createFile(atPath: path, contents: Data(), attributes: [.posixPermissions: 0o666])
        let lock = try FileLock.acquire(path: path, command: "reconciler sync")
        defer { lock.release() }
        #expect(try mode(path) == 0o600)
        let created = try FileLock.acquire(path: dir.appending("new/reconciler.lock"), command: "x")
        defer { created.release() }
        #expect(try mode(dir.appending("new/reconciler.lock")) == 0o600)
    }

    @Test func aSymlinkedStateFileIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.appending("state"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: dir.appending("state/state.sqlite"),
            withDestinationPath: "/etc/passwd"
        )
        let error = #expect(throws: StatePermissionError.self) { try StatePermissions.secure(dir.appending("state")) }
        #expect(error?.path == dir.appending("state/state.sqlite"))
    }
}

/// A symlinked Compose file must resolve inside the repository, through every link on the way.
@Suite struct SymlinkContainmentTests {
    /// `services/shared` links out to /etc; `services/x/compose.yml` links to `../shared/compose.yml`, which reads
    /// as inside the repository until the directory link is followed.
    private func fixture() throws -> (GitFixture, Repository, ObjectID) {
        let fixture = try GitFixture.make(files: ["README.md": "x\n"])
        let sha = try fixture.commit([
            "services/shared": .symlink(to: "/etc"),
            "services/x/compose.yml": .symlink(to: "../shared/compose.yml"),
            "services/y/compose.yml": .symlink(to: "../common/compose.yml"),
            "services/common/compose.yml": .write("services: {}\n"),
            "services/z/compose.yml": .symlink(to: "../../../outside.yml"),
        ])
        let repo = try Repository(at: fixture.clone)
        let id = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        #expect(id.hex == sha)
        return (fixture, repo, id)
    }

    private func resolve(_ path: String, _ repo: Repository, _ commit: ObjectID) throws -> String {
        let links = Set(try repo.treeEntries(at: commit).filter { $0.kind == .symlink }.map(\.path))
        return try SymlinkContainment.resolveInTree(
            path,
            isSymlink: { links.contains($0) },
            target: { try repo.symlinkTarget(of: $0, at: commit) }
        )
    }

    @Test func aLinkIntoADirectoryThatLinksOutIsOutInTheTree() throws {
        let (fixture, repo, commit) = try fixture()
        defer { fixture.remove() }
        let error = #expect(throws: SymlinkEscape.self) { try resolve("services/x/compose.yml", repo, commit) }
        #expect(error == SymlinkEscape(path: "services/x/compose.yml", leadsTo: "/etc"))
        #expect(
            error?.description.hasPrefix("services/x/compose.yml is a symlink that leads outside the repository")
                == true
        )
        #expect(throws: SymlinkEscape.self) { try resolve("services/z/compose.yml", repo, commit) }
        #expect(try resolve("services/y/compose.yml", repo, commit) == "services/common/compose.yml")
    }

    @Test func aLinkIntoADirectoryThatLinksOutIsOutOnDisk() throws {
        let (fixture, repo, commit) = try fixture()
        defer { fixture.remove() }
        try repo.checkout(commit)
        let root = fixture.clone
        // An untracked link made by hand counts the same.
        try FileManager.default.createSymbolicLink(atPath: "\(root)/services/hand", withDestinationPath: "/tmp")
        #expect(throws: SymlinkEscape.self) {
            try SymlinkContainment.resolveOnDisk("services/x/compose.yml", root: root)
        }
        #expect(throws: SymlinkEscape.self) { try SymlinkContainment.resolveOnDisk("services/hand", root: root) }
        #expect(
            try SymlinkContainment.resolveOnDisk("services/y/compose.yml", root: root)
                == "\(root)/services/common/compose.yml"
        )
    }
}
