import Foundation
import GRDB

// The SQLite adapter of `CatalogListing` and of the status reads of `QueryStore`.

extension SQLiteCatalog: CatalogListing {
    public func contextNames() throws(CatalogError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT name FROM contexts ORDER BY name") }
    }

    public func rootRecords(context: String?) throws(CatalogError) -> [RootRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                WITH latest AS (SELECT context_id, max(id) AS id FROM scans WHERE status = \(sqlLiteral(ScanStatus.complete)) GROUP BY context_id)
                SELECT r.id, c.name, r.path, r.device, r.inode, r.last_scan, s.finished, l.id, ls.explicit_roots
                FROM roots r JOIN contexts c ON c.id = r.context_id LEFT JOIN scans s ON s.id = r.last_scan
                LEFT JOIN latest l ON l.context_id = c.id LEFT JOIN scans ls ON ls.id = l.id
                WHERE ?1 IS NULL OR c.name = ?1 ORDER BY c.name, r.id
                """, arguments: [context]).map { row in
                RootRecord(id: row[0], context: row[1], path: PathBytes(row[2] as Data),
                           identity: (row[3] as Int64?).flatMap { d in
                               (row[4] as Int64?).map { RootIdentity(device: UInt64(bitPattern: d), inode: UInt64(bitPattern: $0)) }
                           },
                           lastScan: row[5], lastScanned: (row[6] as Int64?).map { Instant(microseconds: $0) },
                           latestScan: row[7], latestScanExplicit: (row[8] as Int64?) == 1)
            }
        }
    }

    public func policyContext(_ name: String) throws(CatalogError) -> PolicyContext? {
        try read { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM contexts WHERE name = ?", arguments: [name]) else { return nil }
            let roots = try Row.fetchAll(db, sql: "SELECT id, path FROM roots WHERE context_id = ? ORDER BY id", arguments: [id])
                .map { (id: $0[0] as Int64, path: PathBytes($0[1] as Data)) }
            let categories = try String.fetchAll(db, sql: "SELECT DISTINCT category FROM streams WHERE context_id = ?", arguments: [id])
            return PolicyContext(id: id, name: name, roots: roots, categories: Set(categories))
        }
    }
}

extension SQLiteCatalog {
    public func lastScans(context: String?, limit: Int) throws(CatalogError) -> [ScanRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.id, c.name, s.started, s.finished, s.status, s.files, s.errors
                FROM scans s JOIN contexts c ON c.id = s.context_id WHERE ?1 IS NULL OR c.name = ?1 ORDER BY s.id DESC LIMIT ?2
                """, arguments: [context, max(0, limit)]).map { r in
                ScanRecord(id: r[0], context: r[1], started: Instant(microseconds: r[2]), finished: (r[3] as Int64?).map(Instant.init(microseconds:)),
                           status: ScanStatus(rawValue: r[4]) ?? .failed, files: r[5], errors: r[6])
            }
        }
    }

    public func policyRuns(context: String?, limit: Int) throws(CatalogError) -> [PolicyRunRecord] {
        try read { db in
            guard try db.tableExists("policy_runs") else { return [] }  // a catalog opened read-only may predate them
            return try Row.fetchAll(db, sql: """
                SELECT p.id, c.name, p.policy, p.started, p.finished, p.status, p.planned, p.done, p.skipped, p.failed, p.bytes
                FROM policy_runs p JOIN contexts c ON c.id = p.context_id WHERE ?1 IS NULL OR c.name = ?1 ORDER BY p.id DESC LIMIT ?2
                """, arguments: [context, max(0, limit)]).map { r in
                PolicyRunRecord(id: r[0], context: r[1], policy: r[2], started: Instant(microseconds: r[3]),
                                finished: (r[4] as Int64?).map(Instant.init(microseconds:)), status: PolicyRunStatus(rawValue: r[5]) ?? .faults, planned: r[6], done: r[7],
                                skipped: r[8], failed: r[9], bytes: r[10])
            }
        }
    }

    public func journal(since: Int64, limit: Int) throws(CatalogError) -> [JournalRecord] {
        try read { db in
            guard try db.tableExists("journal") else { return [] }
            return try Row.fetchAll(db, sql: """
                SELECT id, run_id, file_id, action, rule, size, intended, result, detail FROM journal WHERE id > ? AND file_id IS NOT NULL ORDER BY id LIMIT ?
                """, arguments: [since, max(0, limit)]).map { r in
                JournalRecord(id: r[0], run: r[1], fileId: r[2], action: r[3], rule: r[4], size: r[5], intended: Instant(microseconds: r[6]),
                              result: (r[7] as String?).flatMap(JournalResult.init(rawValue:)), detail: r[8])
            }
        }
    }
}
