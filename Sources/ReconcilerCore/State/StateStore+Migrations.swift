import GRDB

extension StateStore {
    /// The schema, one migration per change. Never edit a shipped migration: add the next one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "deployment") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("fromCommit", .text)
                t.column("toCommit", .text).notNull()
                t.column("trigger", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("endedAt", .datetime)
                t.column("result", .text).notNull().indexed()
                t.column("message", .text)
                t.column("pid", .integer).notNull()
                t.column("plan", .text).notNull()
            }
            try db.create(table: "step") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("deploymentID", .integer).notNull().indexed()
                    .references("deployment", onDelete: .cascade)
                t.column("phase", .text).notNull()
                t.column("unit", .text).notNull()
                t.column("action", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("endedAt", .datetime)
                t.column("result", .text).notNull()
                t.column("exitCode", .integer)
                t.column("message", .text)
                t.column("logTail", .text).notNull().defaults(to: "")
            }
            try db.create(table: "unit") { t in
                t.primaryKey("id", .text)
                t.column("commit", .text)
                t.column("state", .text).notNull()
                t.column("message", .text)
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "failedCommit") { t in
                t.primaryKey("commit", .text)
                t.column("reason", .text).notNull()
                t.column("at", .datetime).notNull()
            }
            // Singletons: the deployed commit, the hold, the degraded target. One row per name.
            try db.create(table: "marker") { t in
                t.primaryKey("name", .text)
                t.column("commit", .text).notNull()
                t.column("reason", .text).notNull().defaults(to: "")
                t.column("at", .datetime).notNull()
            }
        }
        // What unit discovery read of a service directory, by the directory's tree id (`DiscoveryCache`): the paths
        // and kinds of its Compose files, never a file's contents. Bounded (`discoveryCacheCapacity` rows).
        migrator.registerMigration("v2") { db in
            try db.create(table: "discoveryCache") { t in
                t.primaryKey("tree", .text)
                t.column("listing", .text).notNull()
            }
        }
        // A commit's whole unit set under one pair of roots (`DiscoveryCache`): ids, project names and Compose file
        // names, never a file's contents. A one-shot `plan` of commits seen before reads one row per commit instead
        // of every service directory's listing. Bounded (`commitUnitsCapacity` rows).
        migrator.registerMigration("v3") { db in
            try db.create(table: "commitUnits") { t in
                t.column("commit", .text).notNull()
                t.column("servicesRoot", .text).notNull()
                t.column("systemRoot", .text).notNull()
                t.column("units", .text).notNull()
                t.primaryKey(["commit", "servicesRoot", "systemRoot"])
            }
        }
        return migrator
    }
}
