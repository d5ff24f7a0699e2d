import GRDB

/// A catalog written by a newer Tidemark is refused, for reading and for writing: its
/// tables may mean what this build cannot know, and writing them could lose data.
extension Schema {
    /// The `user_version` this build writes: how many migrations it knows. (Other tools
    /// can see from it that the schema changed; a newer Tidemark's is higher.)
    static var userVersion: Int { migrator.migrations.count }

    /// Throws when the catalog holds a migration this build does not know, or a higher
    /// `user_version` than it writes.
    static func refuseNewer(_ db: Database, path: String) throws {
        let known = Set(migrator.migrations)
        let applied = try db.tableExists("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        var why: String?
        if let unknown = applied.filter({ !known.contains($0) }).sorted().last {
            why = "it has the schema change '\(unknown)', which this Tidemark does not know"
        } else if version > userVersion {
            why = "its schema version is \(version); this Tidemark knows up to \(userVersion)"
        }
        if let why {
            throw CatalogError(path: path, kind: .newerSchema, message: "written by a newer Tidemark (\(why)); upgrade Tidemark to read or write this catalog")
        }
    }

    /// Records this build's `user_version` once its migrations have run (never lowers it).
    static func stampVersion(_ db: Database) throws {
        if try (Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0) < userVersion {
            try db.execute(sql: "PRAGMA user_version = \(userVersion)")
        }
    }
}
