import Foundation
import GRDB

// The SQLite adapter of `CatalogTables`: whole tables for `catalog copy`, found in the
// schema itself (sqlite_master, table_info, foreign_key_list).

extension SQLiteCatalog: CatalogTables {
    public func appliedMigrations() throws(CatalogError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
    }

    public func tableShapes() throws(CatalogError) -> [TableShape] {
        try read { db in
            let names = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                  AND name <> 'grdb_migrations' ORDER BY name
                """)
            return try names.map { name in
                let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [name])
                let refs = try String.fetchAll(db, sql: "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)", arguments: [name])
                return TableShape(name: name, columns: columns, references: refs.filter { $0 != name }.sorted())
            }
        }
    }

    public func readRows(of tables: [TableShape], batch: Int, _ body: (TableShape, [[TableValue]]) throws -> Void) throws(CatalogError) {
        try read { db in
            for t in tables {
                // Key order; a table without a primary key in the order its rows were written.
                let key = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", arguments: [t.name])
                let order = key.isEmpty ? "rowid" : key.map(quoted).joined(separator: ", ")
                let rows = try Row.fetchCursor(db, sql: "SELECT \(t.columns.map(quoted).joined(separator: ", ")) FROM \(quoted(t.name)) ORDER BY \(order)")
                var chunk: [[TableValue]] = []
                chunk.reserveCapacity(batch)
                while let row = try rows.next() {
                    chunk.append((0..<row.count).map { TableValue(row[$0] as DatabaseValue) })
                    if chunk.count == batch {
                        try body(t, chunk)
                        chunk.removeAll(keepingCapacity: true)
                    }
                }
                if !chunk.isEmpty { try body(t, chunk) }
            }
        }
    }

    public func load(_ body: (any TableLoader) throws -> Void) throws(CatalogError) {
        try write { db in try body(SQLiteTableLoader(db: db)) }
    }
}

/// Inserts rows through one cached statement per table and column list.
private struct SQLiteTableLoader: TableLoader {
    let db: Database

    func append(_ table: String, columns: [String], rows: [[TableValue]]) throws {
        let stmt = try db.cachedStatement(sql: """
            INSERT INTO \(quoted(table)) (\(columns.map(quoted).joined(separator: ", "))) VALUES (\(marks(columns.count)))
            """)
        for row in rows { try stmt.execute(arguments: StatementArguments(row.map(\.databaseValue))) }
    }

    func count(_ table: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM \(quoted(table))") ?? 0
    }
}

/// An identifier quoted for SQL (names come from the schema, never from input).
private func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

extension TableValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let v): self = .integer(v)
        case .double(let v): self = .real(v)
        case .string(let v): self = .text(v)
        case .blob(let v): self = .blob([UInt8](v))
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let v): return v.databaseValue
        case .real(let v): return v.databaseValue
        case .text(let v): return v.databaseValue
        case .blob(let v): return Data(v).databaseValue
        }
    }
}
