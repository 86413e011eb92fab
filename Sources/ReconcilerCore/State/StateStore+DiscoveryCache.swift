import GRDB
import Git

extension StateStore {
    /// The most service directories the `discoveryCache` table keeps (oldest written first out): about 100 bytes
    /// each.
    package static let discoveryCacheCapacity = 20_000

    /// The stored ``ServiceListing`` texts of `trees` that the table holds, by tree id.
    func discoveryListings(of trees: [ObjectID]) throws -> [ObjectID: String] {
        try queue.read { db in
            var found: [ObjectID: String] = [:]
            for chunk in stride(from: 0, to: trees.count, by: 500).map({ trees[$0..<min($0 + 500, trees.count)] }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchCursor(
                    db,
                    sql: "SELECT tree, listing FROM discoveryCache WHERE tree IN (\(marks))",
                    arguments: StatementArguments(chunk.map(\.hex))
                )
                while let row = try rows.next() {
                    found[ObjectID(hex: row["tree"])] = row["listing"]
                }
            }
            return found
        }
    }

    /// Stores listings by tree id in one transaction, then drops the oldest rows beyond the capacity.
    func keepDiscoveryListings(_ listings: [ObjectID: String]) throws {
        try queue.write { db in
            let insert = try db.makeStatement(
                sql: "INSERT OR REPLACE INTO discoveryCache (tree, listing) VALUES (?, ?)"
            )
            for (tree, listing) in listings {
                try insert.execute(arguments: [tree.hex, listing])
            }
            try Self.keepNewest(Self.discoveryCacheCapacity, of: "discoveryCache", in: db)
        }
    }

    /// How many service directories the table holds.
    package func discoveryCacheCount() throws -> Int {
        try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM discoveryCache") ?? 0 }
    }

    /// The most commits the `commitUnits` table keeps (oldest written first out).
    package static let commitUnitsCapacity = 64

    /// The stored unit set text of `commit` under the two roots, if the table holds it.
    func commitUnits(_ commit: ObjectID, servicesRoot: String, systemRoot: String) throws -> String? {
        try queue.read { db in
            try String.fetchOne(
                db,
                sql: "SELECT units FROM commitUnits WHERE \"commit\" = ? AND servicesRoot = ? AND systemRoot = ?",
                arguments: [commit.hex, servicesRoot, systemRoot]
            )
        }
    }

    /// Stores a commit's unit set text, then drops the oldest rows beyond the capacity.
    func keepCommitUnits(_ units: String, of commit: ObjectID, servicesRoot: String, systemRoot: String) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO commitUnits ("commit", servicesRoot, systemRoot, units)
                    VALUES (?, ?, ?, ?)
                    """,
                arguments: [commit.hex, servicesRoot, systemRoot, units]
            )
            try Self.keepNewest(Self.commitUnitsCapacity, of: "commitUnits", in: db)
        }
    }

    /// How many commits' unit sets the table holds.
    package func commitUnitsCount() throws -> Int {
        try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM commitUnits") ?? 0 }
    }

    /// Drops the oldest rows (by rowid, the order written) of a cache table beyond `capacity`.
    private static func keepNewest(_ capacity: Int, of table: String, in db: Database) throws {
        try db.execute(
            sql: """
                DELETE FROM \(table) WHERE rowid <= (
                    SELECT rowid FROM \(table) ORDER BY rowid DESC LIMIT 1 OFFSET ?)
                """,
            arguments: [capacity]
        )
    }
}
