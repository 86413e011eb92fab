import Foundation
import GRDB
import Git

// Enums are stored as their raw strings, so `sqlite3 state.sqlite` stays readable.
extension DeploymentResult: DatabaseValueConvertible {}
extension StepPhase: DatabaseValueConvertible {}
extension StepResult: DatabaseValueConvertible {}
extension UnitState: DatabaseValueConvertible {}
extension DeploymentTrigger: DatabaseValueConvertible {}
extension StepAction: DatabaseValueConvertible {}

// Commits are stored as their 40 hex digits.
extension ObjectID: DatabaseValueConvertible {
    package var databaseValue: DatabaseValue { hex.databaseValue }

    package static func fromDatabaseValue(_ dbValue: DatabaseValue) -> ObjectID? {
        String.fromDatabaseValue(dbValue).map { ObjectID(hex: $0) }
    }
}

// Decoding goes through `row.decode`, which throws on an unexpected value instead of trapping. Times go through
// `StoredTime` (GRDB's text, without its ICU-backed `DateFormatter`).

extension StepRecord: FetchableRecord {
    package init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"),
            deploymentID: try row.decode(forColumn: "deploymentID"),
            phase: try row.decode(forColumn: "phase"),
            unit: try row.decode(forColumn: "unit"),
            action: try row.decode(forColumn: "action"),
            startedAt: try row.decode(StoredTime.self, forColumn: "startedAt").date,
            endedAt: try row.decode(StoredTime?.self, forColumn: "endedAt")?.date,
            result: try row.decode(forColumn: "result"),
            exitCode: try row.decode(forColumn: "exitCode"),
            message: try row.decode(forColumn: "message"),
            logTail: try row.decode(forColumn: "logTail")
        )
    }
}

extension DeploymentRecord: FetchableRecord {
    /// A deployment without its steps; the store attaches them.
    package init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"),
            fromCommit: try row.decode(forColumn: "fromCommit"),
            toCommit: try row.decode(forColumn: "toCommit"),
            trigger: try row.decode(forColumn: "trigger"),
            startedAt: try row.decode(StoredTime.self, forColumn: "startedAt").date,
            endedAt: try row.decode(StoredTime?.self, forColumn: "endedAt")?.date,
            result: try row.decode(forColumn: "result"),
            message: try row.decode(forColumn: "message"),
            pid: try row.decode(forColumn: "pid"),
            plan: try row.decode(forColumn: "plan"),
            steps: []
        )
    }
}

extension UnitRecord: FetchableRecord {
    package init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"),
            commit: try row.decode(forColumn: "commit"),
            state: try row.decode(forColumn: "state"),
            message: try row.decode(forColumn: "message"),
            updatedAt: try row.decode(StoredTime.self, forColumn: "updatedAt").date
        )
    }
}

extension CommitMark: FetchableRecord {
    package init(row: Row) throws {
        self.init(
            commit: try row.decode(forColumn: "commit"),
            reason: try row.decode(forColumn: "reason"),
            at: try row.decode(StoredTime.self, forColumn: "at").date
        )
    }
}
