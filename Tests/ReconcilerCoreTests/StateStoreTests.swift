import Foundation
import GRDB
import ReconcilerTesting
import Testing

@testable import ReconcilerCore

@Suite struct StateStoreTests {
    @Test func deploymentRoundTripsWithStepsInOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.appending("state"))

        let id = try store.beginDeployment(from: "aaa", to: "bbb", trigger: .sync, plan: #"{"units":["plex"]}"#)
        let validate = try store.beginStep(deployment: id, phase: .validate, unit: "plex", action: .config)
        try store.finishStep(validate, result: .succeeded, exitCode: 0, message: nil, logTail: "ok\n")
        let apply = try store.beginStep(deployment: id, phase: .apply, unit: "plex", action: .up)
        try store.finishStep(apply, result: .failed, exitCode: 1, message: "unhealthy", logTail: "boom\n")
        let rollback = try store.beginStep(deployment: id, phase: .rollback, unit: "plex", action: .up)
        try store.finishDeployment(id, result: .rolledBack, message: "plex: unhealthy")

        let record = try #require(try store.deployment(id))
        #expect(record.id == id)
        #expect(record.fromCommit == "aaa")
        #expect(record.toCommit == "bbb")
        #expect(record.trigger == .sync)
        #expect(record.result == .rolledBack)
        #expect(record.message == "plex: unhealthy")
        #expect(record.pid == getpid())
        #expect(record.plan == #"{"units":["plex"]}"#)
        #expect(record.endedAt != nil)
        #expect(abs(record.startedAt.timeIntervalSinceNow) < 60)

        #expect(record.steps.map(\.id) == [validate, apply, rollback])
        #expect(record.steps.map(\.phase) == [.validate, .apply, .rollback])
        #expect(record.steps.map(\.action) == [.config, .up, .up])
        #expect(record.steps.map(\.result) == [.succeeded, .failed, .running])
        #expect(record.steps.map(\.exitCode) == [0, 1, nil])
        #expect(record.steps.map(\.logTail) == ["ok\n", "boom\n", ""])
        #expect(record.steps[1].message == "unhealthy")
        #expect(record.steps[2].endedAt == nil)
        #expect(record.steps.allSatisfy { $0.deploymentID == id && $0.unit == "plex" })

        #expect(try store.deployment(id + 100) == nil)
    }

    @Test func listsNewestFirstAndFindsLastFinished() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)

        let first = try store.beginDeployment(from: nil, to: "c1", trigger: .sync, plan: "{}")
        try store.finishDeployment(first, result: .succeeded, message: nil)
        let second = try store.beginDeployment(from: "c1", to: "c2", trigger: .deploy, plan: "{}")
        _ = try store.beginStep(deployment: second, phase: .apply, unit: "system", action: .switch)
        try store.finishDeployment(second, result: .failed, message: "invalid")
        let third = try store.beginDeployment(from: "c1", to: "c3", trigger: .sync, plan: "{}")

        #expect(try store.deployments(limit: 10).map(\.id) == [third, second, first])
        #expect(try store.deployments(limit: 2).map(\.id) == [third, second])
        #expect(try store.deployments(limit: 2)[1].steps.map(\.unit) == ["system"])
        #expect(try store.deployments(limit: 0).isEmpty)
        #expect(try store.lastFinishedDeployment()?.id == second)
    }

    @Test func runningDeploymentsUntilFinishedAsInterrupted() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        #expect(try store.runningDeployments().isEmpty)
        #expect(try store.lastFinishedDeployment() == nil)

        let done = try store.beginDeployment(from: nil, to: "c1", trigger: .sync, plan: "{}")
        try store.finishDeployment(done, result: .succeeded, message: nil)
        let crashed = try store.beginDeployment(from: "c1", to: "c2", trigger: .sync, plan: "{}")
        let step = try store.beginStep(deployment: crashed, phase: .apply, unit: "plex", action: .up)

        let running = try store.runningDeployments()
        #expect(running.map(\.id) == [crashed])
        #expect(running.first?.pid == getpid())
        #expect(running.first?.steps.map(\.id) == [step])
        #expect(running.first?.steps.first?.result == .running)

        try store.finishDeployment(crashed, result: .interrupted, message: "killed mid-deploy")
        #expect(try store.runningDeployments().isEmpty)
        #expect(try store.lastFinishedDeployment()?.result == .interrupted)
    }

    @Test func reopeningTheSameFileKeepsEverything() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let stateDir = dir.appending("nested/state")
        let id: Int64
        do {
            let store = try StateStore(directory: stateDir)
            id = try store.beginDeployment(from: nil, to: "c1", trigger: .sync, plan: "{}")
            let step = try store.beginStep(deployment: id, phase: .apply, unit: "system", action: .switch)
            try store.finishStep(step, result: .succeeded, exitCode: 0, message: nil, logTail: "switched")
            try store.setUnit("system", commit: "c1", state: .running, message: nil)
            try store.setDeployedCommit("c1")
            try store.markFailed("c0", reason: "broken")
            try store.setHold("c9", reason: "rolled back from")
        }
        let mode = try FileManager.default.attributesOfItem(atPath: stateDir)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        #expect(FileManager.default.fileExists(atPath: stateDir + "/state.sqlite"))

        let store = try StateStore(directory: stateDir)
        let record = try #require(try store.deployment(id))
        #expect(record.result == .running)
        #expect(record.steps.first?.logTail == "switched")
        #expect(try store.units().map(\.id) == ["system"])
        #expect(try store.deployedCommit() == "c1")
        #expect(try store.failure(of: "c0")?.reason == "broken")
        #expect(try store.hold()?.commit == "c9")
        // A new deployment continues the numbering.
        #expect(try store.beginDeployment(from: "c1", to: "c2", trigger: .sync, plan: "{}") > id)
    }

    @Test func logTailsKeepTheLast16KiBAtACharacterBoundary() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        let id = try store.beginDeployment(from: nil, to: "c1", trigger: .sync, plan: "{}")

        // 2-byte characters with a 1-byte offset: a cut at a plain byte count would split one.
        let log = "x" + String(repeating: "é", count: 20_000) + "END"
        let step = try store.beginStep(deployment: id, phase: .apply, unit: "plex", action: .up)
        try store.finishStep(step, result: .failed, exitCode: 1, message: nil, logTail: log)
        let short = try store.beginStep(deployment: id, phase: .apply, unit: "sonarr/shows", action: .up)
        try store.finishStep(short, result: .succeeded, exitCode: 0, message: nil, logTail: "short")

        let steps = try #require(try store.deployment(id)).steps
        let tail = steps[0].logTail
        #expect(tail.utf8.count <= StateStore.logTailLimit)
        #expect(tail.utf8.count > StateStore.logTailLimit - 8)
        #expect(tail.hasPrefix("…é"))
        #expect(tail.hasSuffix("éEND"))
        #expect(!tail.contains("\u{FFFD}"))
        #expect(steps[1].logTail == "short")
    }

    @Test func unitsAreUpsertedSortedAndRemoved() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        try store.setUnit("sonarr/shows", commit: "c1", state: .running, message: nil)
        try store.setUnit("plex", commit: "c1", state: .running, message: nil)
        try store.setUnit("system", commit: nil, state: .unknown, message: nil)
        try store.setUnit("plex", commit: "c2", state: .failed, message: "unhealthy")

        let units = try store.units()
        #expect(units.map(\.id) == ["plex", "sonarr/shows", "system"])
        #expect(units[0].commit == "c2")
        #expect(units[0].state == .failed)
        #expect(units[0].message == "unhealthy")
        #expect(units[2].commit == nil)

        try store.removeUnit("plex")
        try store.removeUnit("missing")
        #expect(try store.units().map(\.id) == ["sonarr/shows", "system"])
    }

    @Test func marksRoundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)

        #expect(try store.deployedCommit() == nil)
        try store.setDeployedCommit("c1")
        try store.setDeployedCommit("c2")
        #expect(try store.deployedCommit() == "c2")
        try store.setDeployedCommit(nil)
        #expect(try store.deployedCommit() == nil)

        #expect(try store.failure(of: "c3") == nil)
        try store.markFailed("c3", reason: "plex unhealthy")
        try store.markFailed("c4", reason: "config invalid")
        #expect(try store.failure(of: "c3")?.reason == "plex unhealthy")
        #expect(try store.failure(of: "c3")?.commit == "c3")
        try store.clearFailures()
        #expect(try store.failure(of: "c3") == nil)
        #expect(try store.failure(of: "c4") == nil)

        #expect(try store.hold() == nil)
        try store.setHold("c5", reason: "rollback to c4")
        try store.setHold("c6", reason: "rollback to c5")
        let hold = try #require(try store.hold())
        #expect(hold.commit == "c6")
        #expect(hold.reason == "rollback to c5")
        #expect(abs(hold.at.timeIntervalSinceNow) < 60)
        try store.releaseHold()
        #expect(try store.hold() == nil)

        #expect(try store.degraded() == nil)
        try store.setDegraded("c1", reason: "rollback of plex failed")
        #expect(try store.degraded()?.commit == "c1")
        #expect(try store.degraded()?.reason == "rollback of plex failed")
        try store.clearDegraded()
        #expect(try store.degraded() == nil)
    }

    @Test func unknownIDsAreErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        #expect(throws: StateError.self) { try store.finishDeployment(42, result: .succeeded, message: nil) }
        #expect(throws: StateError.self) {
            _ = try store.beginStep(deployment: 42, phase: .apply, unit: "x", action: .up)
        }
        let error = #expect(throws: StateError.self) {
            try store.finishStep(7, result: .succeeded, exitCode: 0, message: nil, logTail: "")
        }
        #expect(error?.code == .notFound)
    }

    @Test func corruptFileIsNamedWithWhatToDo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.appending("state.sqlite")
        try Data(String(repeating: "not a database ", count: 100).utf8).write(to: URL(fileURLWithPath: file))

        let error = #expect(throws: StateError.self) { _ = try StateStore(directory: dir.path) }
        #expect(error?.code == .corrupt)
        #expect(error?.path == file)
        #expect(error?.description.contains(file) == true)
        #expect(error?.description.contains("move it aside") == true)
    }

    @Test func newerSchemaIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try StateStore(directory: dir.path)
        // What a newer reconciler leaves: a migration this one does not know.
        let queue = try DatabaseQueue(path: dir.appending("state.sqlite"))
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999')") }
        try queue.close()

        let error = #expect(throws: StateError.self) { _ = try StateStore(directory: dir.path) }
        #expect(error?.code == .newerSchema)
        #expect(error?.description.contains("newer reconciler") == true)
    }
}
