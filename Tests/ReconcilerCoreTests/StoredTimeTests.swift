import Foundation
import GRDB
import ReconcilerTesting
import Testing

@testable import ReconcilerCore

/// The state database's times are written without GRDB's `DateFormatter`; a database written either way must read the
/// same, and sort the same.
@Suite struct StoredTimeTests {
    /// Leap days, year and century ends, the last millisecond of a day, and a spread of times up to 2100.
    static let dates: [Date] = {
        var dates = [
            "1970-01-01 00:00:00.000", "2000-02-29 23:59:59.999", "2024-02-29 12:00:00.500",
            "2026-12-31 23:59:59.999", "2027-01-01 00:00:00.001", "2100-02-28 08:09:10.011", "2100-03-01 00:00:00.000",
        ].map { StoredTime.parse($0)! }
        var generator = SeededGenerator(seed: 0x5EED)
        for _ in 0..<2000 {
            // Whole seconds plus a fraction that is not a whole number of milliseconds.
            let seconds = Double(UInt64.random(in: 0...4_102_444_800, using: &generator))
            dates.append(Date(timeIntervalSince1970: seconds + Double.random(in: 0..<1, using: &generator)))
        }
        return dates
    }()

    @Test func theTextIsGRDBsOwnForEveryDate() {
        for date in Self.dates {
            let grdb = String.fromDatabaseValue(date.databaseValue)
            #expect(StoredTime.text(date) == grdb, "\(date.timeIntervalSince1970)")
        }
    }

    @Test func whatGRDBWroteReadsBackToTheMillisecond() throws {
        for date in Self.dates {
            let grdb = try #require(Date.fromDatabaseValue(date.databaseValue))
            let ours = try #require(StoredTime.fromDatabaseValue(date.databaseValue)?.date)
            #expect(abs(ours.timeIntervalSince1970 - grdb.timeIntervalSince1970) < 0.0005, "\(grdb)")
        }
        // The shorter forms GRDB also reads, and a number of seconds since 1970.
        let forms: [(DatabaseValue, TimeInterval)] = [
            ("2026-12-01".databaseValue, 1_796_083_200), ("2026-12-01 02:30".databaseValue, 1_796_092_200),
            ("2026-12-01T02:30:05".databaseValue, 1_796_092_205),
            ("2026-12-01 02:30:05.25".databaseValue, 1_796_092_205.25),
            (1_796_092_205.databaseValue, 1_796_092_205),
        ]
        for (value, seconds) in forms {
            #expect(StoredTime.fromDatabaseValue(value)?.date.timeIntervalSince1970 == seconds, "\(value)")
        }
    }

    @Test func anythingElseIsNotATime() {
        for text in [
            "", "2026-12-1", "2026-13-01", "2026-12-01 24:00", "2026-12-01 02:30:05.", "2026-12-01 02:30Z", "yesterday",
        ] {
            #expect(StoredTime.parse(text) == nil, "\(text)")
        }
        #expect(StoredTime.fromDatabaseValue(.null) == nil)
    }

    /// A state file written by a build that stored GRDB's `Date`s: its deployments, units and marks read back, and a
    /// new deployment lists first.
    @Test func aStateFileWrittenThroughGRDBsDatesReadsBack() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try StateStore(directory: dir.path)
        let id = try store.beginDeployment(from: nil, to: "aaa", trigger: .sync, plan: "{}")
        try store.finishDeployment(id, result: .succeeded, message: nil)
        try store.setUnit("plex", commit: "aaa", state: .running, message: nil)
        try store.markFailed("bbb", reason: "unhealthy")
        try store.setHold("aaa", reason: "by hand")

        let then = Date(timeIntervalSince1970: 1_700_000_000.123)
        let queue = try DatabaseQueue(path: dir.appending("state.sqlite"))
        try queue.write { db in
            try db.execute(sql: #"UPDATE "deployment" SET "startedAt" = ?, "endedAt" = ?"#, arguments: [then, then])
            try db.execute(sql: #"UPDATE "unit" SET "updatedAt" = ?"#, arguments: [then])
            try db.execute(sql: #"UPDATE "failedCommit" SET "at" = ?"#, arguments: [then])
            try db.execute(sql: #"UPDATE "marker" SET "at" = ?"#, arguments: [then])
        }
        try queue.close()

        let reopened = try StateStore(directory: dir.path)
        let old = try #require(try reopened.deployment(id))
        #expect(abs(old.startedAt.timeIntervalSince1970 - 1_700_000_000.123) < 0.0005)
        #expect(old.endedAt == old.startedAt)
        #expect(try reopened.units().first?.updatedAt == old.startedAt)
        #expect(try reopened.failure(of: "bbb")?.at == old.startedAt)
        #expect(try reopened.hold()?.at == old.startedAt)

        let next = try reopened.beginDeployment(from: "aaa", to: "ccc", trigger: .sync, plan: "{}")
        #expect(try reopened.deployments(limit: 2).map(\.id) == [next, id])
        let newer = try #require(try reopened.deployment(next))
        #expect(newer.startedAt > old.startedAt)
    }
}

/// A small deterministic generator (SplitMix64), so the spread of dates is the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
