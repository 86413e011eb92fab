import Foundation
import GRDB
import Git

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reconciler's memory: deployments and their steps, each unit's last applied commit, failed
/// and held commits, the deployed commit and the degraded flag, in `<stateDir>/state.sqlite`.
///
/// Every write is its own transaction and is on disk when the call returns (rollback journal,
/// `synchronous = FULL`), so a deploy killed with `kill -9` leaves an honest record: the engine
/// calls ``beginStep(deployment:phase:unit:action:)`` before it runs a step.
package final class StateStore: Sendable {
    /// The most log a step keeps: its last 16 KiB.
    package static let logTailLimit = 16 << 10
    /// The database's file name inside the state directory.
    package static let fileName = "state.sqlite"

    /// The database file.
    package let path: String
    /// The state directory holding it (the scratch, the trigger socket and the lock live there too).
    package var directory: String { (path as NSString).deletingLastPathComponent }
    let queue: DatabaseQueue

    /// Opens (creating it if needed) the state database in `directory` and brings its schema up to date.
    /// - Parameters:
    ///   - directory: The state directory; created with mode 0700 when missing.
    /// - Throws: ``StateError`` naming the file: unavailable, corrupt, or written by a newer reconciler.
    package init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw StateError(
                code: .unavailable,
                path: path,
                message: "cannot create the state directory \(directory): \(Self.reason(error))",
                remedy: "create it, writable by this user, or pass another --state-dir"
            )
        }

        var config = Configuration()
        config.label = "reconciler.state"
        // Another process (`reconciler status` next to the daemon) may be reading; wait rather than fail.
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            self.queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw Self.stateError(error, path: path, doing: "cannot open")
        }

        let migrator = Self.migrator
        do {
            let superseded = try queue.read { try migrator.hasBeenSuperseded($0) }
            if superseded {
                throw StateError(
                    code: .newerSchema,
                    path: path,
                    message: "it was written by a newer reconciler (unknown schema migrations)",
                    remedy: "run that newer reconciler, or move the file aside to start a fresh history"
                )
            }
            try migrator.migrate(queue)
        } catch let error as StateError {
            throw error
        } catch {
            throw Self.stateError(error, path: path, doing: "cannot migrate")
        }
    }

    /// A database in memory, gone with the process: for `plan --from --to` from git alone, which needs no state
    /// directory (its discovery cache has nowhere to be kept, and nothing else is read or written).
    package init(inMemory: Void) throws {
        self.path = ":memory:"
        self.queue = try DatabaseQueue()
        try Self.migrator.migrate(queue)
    }

    // MARK: Deployments

    /// Records the start of a deployment with result `running` and this process's pid.
    /// - Parameters:
    ///   - from: The deployed commit, nil when nothing was deployed yet.
    ///   - to: The commit being deployed.
    ///   - trigger: What started it.
    ///   - plan: The plan as JSON text.
    /// - Returns: The new deployment's id.
    package func beginDeployment(
        from: ObjectID?,
        to: ObjectID,
        trigger: DeploymentTrigger,
        plan: String
    ) throws -> Int64 {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO "deployment" ("fromCommit", "toCommit", "trigger", "startedAt", "result", "pid", "plan")
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [from, to, trigger, StoredTime.now, DeploymentResult.running, getpid(), plan]
            )
            return db.lastInsertedRowID
        }
    }

    /// Records how a deployment ended.
    package func finishDeployment(_ id: Int64, result: DeploymentResult, message: String?) throws {
        try write { db in
            try db.execute(
                sql: #"UPDATE "deployment" SET "endedAt" = ?, "result" = ?, "message" = ? WHERE "id" = ?"#,
                arguments: [StoredTime.now, result, message, id]
            )
            if db.changesCount == 0 { throw notFound("deployment #\(id)") }
        }
    }

    /// Records that a step is about to run (result `running`). Call it before running the step.
    /// - Returns: The new step's id.
    package func beginStep(deployment: Int64, phase: StepPhase, unit: String, action: StepAction) throws -> Int64 {
        try write { db in
            let exists = try Bool.fetchOne(
                db,
                sql: #"SELECT EXISTS (SELECT 1 FROM "deployment" WHERE "id" = ?)"#,
                arguments: [deployment]
            )
            guard exists == true else { throw notFound("deployment #\(deployment)") }
            try db.execute(
                sql: """
                    INSERT INTO "step" ("deploymentID", "phase", "unit", "action", "startedAt", "result")
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [deployment, phase, unit, action, StoredTime.now, StepResult.running]
            )
            return db.lastInsertedRowID
        }
    }

    /// Records how a step ended. `logTail` is cut to its last ``logTailLimit`` bytes.
    package func finishStep(
        _ id: Int64,
        result: StepResult,
        exitCode: Int32?,
        message: String?,
        logTail: String
    )
        throws
    {
        let tail = BoundedText.tail(logTail, limit: Self.logTailLimit)
        try write { db in
            try db.execute(
                sql: """
                    UPDATE "step" SET "endedAt" = ?, "result" = ?, "exitCode" = ?, "message" = ?, "logTail" = ?
                    WHERE "id" = ?
                    """,
                arguments: [StoredTime.now, result, exitCode, message, tail, id]
            )
            if db.changesCount == 0 { throw notFound("step #\(id)") }
        }
    }

    /// The last `limit` deployments, newest first, each with its steps in the order they started.
    package func deployments(limit: Int) throws -> [DeploymentRecord] {
        try read { db in
            try withSteps(
                db,
                DeploymentRecord.fetchAll(
                    db,
                    sql: #"SELECT * FROM "deployment" ORDER BY "id" DESC LIMIT ?"#,
                    arguments: [max(limit, 0)]
                )
            )
        }
    }

    /// One deployment with its steps, or nil.
    package func deployment(_ id: Int64) throws -> DeploymentRecord? {
        try read { db in
            try withSteps(
                db,
                DeploymentRecord.fetchAll(db, sql: #"SELECT * FROM "deployment" WHERE "id" = ?"#, arguments: [id])
            ).first
        }
    }

    /// Deployments still marked `running`, oldest first.
    ///
    /// Whoever holds the reconciler lock is the only process that can be deploying, so to the
    /// holder every record here from another pid is a deployment interrupted by a crash or kill:
    /// finish it (roll back, then ``finishDeployment(_:result:message:)`` with `interrupted`).
    package func runningDeployments() throws -> [DeploymentRecord] {
        try read { db in
            try withSteps(
                db,
                DeploymentRecord.fetchAll(
                    db,
                    sql: #"SELECT * FROM "deployment" WHERE "result" = ? ORDER BY "id""#,
                    arguments: [DeploymentResult.running]
                )
            )
        }
    }

    /// The newest deployment that has ended, whatever its result.
    package func lastFinishedDeployment() throws -> DeploymentRecord? {
        try read { db in
            try withSteps(
                db,
                DeploymentRecord.fetchAll(
                    db,
                    sql: #"SELECT * FROM "deployment" WHERE "result" <> ? ORDER BY "id" DESC LIMIT 1"#,
                    arguments: [DeploymentResult.running]
                )
            ).first
        }
    }

    // MARK: Units

    /// Records a unit's last applied commit and state.
    package func setUnit(_ id: String, commit: ObjectID?, state: UnitState, message: String?) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO "unit" ("id", "commit", "state", "message", "updatedAt") VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT ("id") DO UPDATE SET
                        "commit" = excluded."commit", "state" = excluded."state",
                        "message" = excluded."message", "updatedAt" = excluded."updatedAt"
                    """,
                arguments: [id, commit, state, message, StoredTime.now]
            )
        }
    }

    /// Forgets a unit (after it was pruned and is gone from the repository).
    package func removeUnit(_ id: String) throws {
        try write { db in try db.execute(sql: #"DELETE FROM "unit" WHERE "id" = ?"#, arguments: [id]) }
    }

    /// Every unit the reconciler knows, sorted by id.
    package func units() throws -> [UnitRecord] {
        try read { db in try UnitRecord.fetchAll(db, sql: #"SELECT * FROM "unit" ORDER BY "id""#) }
    }

    // MARK: Failed commits

    /// Remembers that `commit` failed, so it is not retried until the remote moves on.
    package func markFailed(_ commit: ObjectID, reason: String) throws {
        try write { db in
            try db.execute(
                sql: #"INSERT OR REPLACE INTO "failedCommit" ("commit", "reason", "at") VALUES (?, ?, ?)"#,
                arguments: [commit, reason, StoredTime.now]
            )
        }
    }

    /// Why `commit` was marked failed, or nil.
    package func failure(of commit: ObjectID) throws -> CommitMark? {
        try read { db in
            try CommitMark.fetchOne(db, sql: #"SELECT * FROM "failedCommit" WHERE "commit" = ?"#, arguments: [commit])
        }
    }

    /// Forgets every failed commit.
    package func clearFailures() throws {
        try write { db in try db.execute(sql: #"DELETE FROM "failedCommit""#) }
    }

    // MARK: Singletons

    /// Holds auto-sync on `commit`: the remote head a rollback moved away from. Replaces any hold.
    package func setHold(_ commit: ObjectID, reason: String) throws { try setMarker(.hold, commit, reason: reason) }
    /// The current hold, or nil.
    package func hold() throws -> CommitMark? { try marker(.hold) }
    /// Releases the hold, if any.
    package func releaseHold() throws { try removeMarker(.hold) }

    /// The commit the working tree was last brought to, or nil before the first deploy.
    package func deployedCommit() throws -> ObjectID? { try marker(.deployed)?.commit }
    /// Records the deployed commit; nil forgets it.
    package func setDeployedCommit(_ commit: ObjectID?) throws {
        if let commit { try setMarker(.deployed, commit, reason: "") } else { try removeMarker(.deployed) }
    }

    /// Set when a rollback failed: `commit` is the commit it was trying to reach, `reason` why.
    package func degraded() throws -> CommitMark? { try marker(.degraded) }
    /// Marks the reconciler degraded: it stops deploying until an operator acts.
    package func setDegraded(_ commit: ObjectID, reason: String) throws {
        try setMarker(.degraded, commit, reason: reason)
    }
    /// Clears the degraded mark.
    package func clearDegraded() throws { try removeMarker(.degraded) }

    /// Set while the world, not the commit, fails (engine unreachable, fetch failing): `commit` waits to deploy,
    /// `reason` is the cause, `at` when the outage began (kept while it continues).
    package func outage() throws -> CommitMark? { try marker(.outage) }
    /// Records an outage, or updates the commit and cause of the one that continues (keeping when it began).
    package func setOutage(_ commit: ObjectID, reason: String) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO "marker" ("name", "commit", "reason", "at") VALUES (?, ?, ?, ?)
                    ON CONFLICT ("name") DO UPDATE SET "commit" = excluded."commit", "reason" = excluded."reason"
                    """,
                arguments: [Marker.outage.rawValue, commit, reason, StoredTime.now]
            )
        }
    }
    /// The outage is over.
    package func clearOutage() throws { try removeMarker(.outage) }
}

// MARK: - Helpers

extension StateStore {
    fileprivate enum Marker: String {
        case deployed, hold, degraded, outage
    }

    fileprivate func setMarker(_ name: Marker, _ commit: ObjectID, reason: String) throws {
        try write { db in
            try db.execute(
                sql: #"INSERT OR REPLACE INTO "marker" ("name", "commit", "reason", "at") VALUES (?, ?, ?, ?)"#,
                arguments: [name.rawValue, commit, reason, StoredTime.now]
            )
        }
    }

    fileprivate func marker(_ name: Marker) throws -> CommitMark? {
        try read { db in
            try CommitMark.fetchOne(db, sql: #"SELECT * FROM "marker" WHERE "name" = ?"#, arguments: [name.rawValue])
        }
    }

    fileprivate func removeMarker(_ name: Marker) throws {
        try write { db in try db.execute(sql: #"DELETE FROM "marker" WHERE "name" = ?"#, arguments: [name.rawValue]) }
    }

    /// Attaches each deployment's steps, in start order.
    fileprivate func withSteps(_ db: Database, _ deployments: [DeploymentRecord]) throws -> [DeploymentRecord] {
        guard !deployments.isEmpty else { return [] }
        let ids = deployments.map(\.id)
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let steps = try StepRecord.fetchAll(
            db,
            sql: #"SELECT * FROM "step" WHERE "deploymentID" IN (\#(placeholders)) ORDER BY "id""#,
            arguments: StatementArguments(ids)
        )
        let byDeployment = Dictionary(grouping: steps, by: \.deploymentID)
        return deployments.map { deployment in
            var deployment = deployment
            deployment.steps = byDeployment[deployment.id] ?? []
            return deployment
        }
    }

    fileprivate func notFound(_ what: String) -> StateError {
        StateError(code: .notFound, path: path, message: "no \(what)", remedy: nil)
    }

    fileprivate func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch { throw Self.stateError(error, path: path, doing: "cannot write") }
    }

    fileprivate func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch { throw Self.stateError(error, path: path, doing: "cannot read") }
    }

    /// Turns a GRDB or file-system error into a ``StateError`` saying what to do.
    fileprivate static func stateError(_ error: any Error, path: String, doing: String) -> StateError {
        if let error = error as? StateError { return error }
        guard let error = error as? DatabaseError else {
            return StateError(code: .database, path: path, message: "\(doing): \(reason(error))")
        }
        let sqlite = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return StateError(
                code: .corrupt,
                path: path,
                message: "\(doing): the file is damaged or not a database (\(sqlite))",
                remedy: "move it aside (the reconciler starts a fresh history) or restore it from a backup"
            )
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            return StateError(
                code: .unavailable,
                path: path,
                message: "\(doing): \(sqlite)",
                remedy: "check that the state directory and the file are writable by this user"
            )
        case .SQLITE_FULL:
            return StateError(code: .database, path: path, message: "\(doing): \(sqlite)", remedy: "free disk space")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StateError(
                code: .database,
                path: path,
                message: "\(doing): \(sqlite)",
                remedy: "another process keeps the database locked; retry when it is done"
            )
        default:
            return StateError(code: .database, path: path, message: "\(doing): \(sqlite)")
        }
    }

    fileprivate static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.underlying { return "\(underlying)" }
        return (error as NSError).localizedDescription
    }
}

extension CocoaError {
    fileprivate var underlying: (any Error)? { userInfo[NSUnderlyingErrorKey] as? any Error }
}
