import GRDB
@testable import TidemarkCore

typealias GRDBRow = GRDB.Row

extension SQLiteCatalog {
    /// Every row the scan keeps, as text, except the scan's own record.
    func dumpForComparison() throws -> String {
        try pool.read { db in
            var out = ""
            for table in ["contexts", "roots", "dirs", "streams", "datasets", "files"] {
                // A root's last complete scan is part of the scan's record.
                let columns = table == "roots" ? "id, context_id, path, device, inode" : "*"
                for row in try GRDBRow.fetchAll(db, sql: "SELECT \(columns) FROM \(table) ORDER BY id") { out += "\(table) \(row)\n" }
            }
            return out
        }
    }

    func count(_ sql: String) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }
}

extension SQLiteCatalog {
    /// Rows whose references point nowhere (enforcement is off for speed; this proves it is not needed).
    func foreignKeyViolations() throws -> Int {
        try pool.read { db in try GRDBRow.fetchAll(db, sql: "PRAGMA foreign_key_check").count }
    }
}
