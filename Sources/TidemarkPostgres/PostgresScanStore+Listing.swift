import NIOCore
import PostgresNIO
import TidemarkCore

// What every store answers (`CatalogListing`), on the scan's PostgreSQL store.

extension PostgresScanStore {
    public func contextNames() throws(CatalogError) -> [String] {
        try onMain { s throws(CatalogError) in try s.rows("SELECT name FROM contexts ORDER BY name").map { Array($0)[0].string ?? "" } }
    }

    public func rootRecords(context: String?) throws(CatalogError) -> [RootRecord] {
        try onMain { s throws(CatalogError) in
            try s.rows("""
                WITH latest AS (SELECT context_id, max(id) AS id FROM scans WHERE status = \(ScanStatus.complete.rawValue) GROUP BY context_id)
                SELECT r.id, c.name, r.path, r.device, r.inode, r.last_scan, s.finished, l.id, ls.explicit_roots
                FROM roots r JOIN contexts c ON c.id = r.context_id LEFT JOIN scans s ON s.id = r.last_scan
                LEFT JOIN latest l ON l.context_id = c.id LEFT JOIN scans ls ON ls.id = l.id
                WHERE \(context)::text IS NULL OR c.name = \(context) ORDER BY c.name, r.id
                """).map { row in
                let c = Array(row)
                return RootRecord(id: c[0].int64, context: c[1].string ?? "", path: c[2].byteArray,
                                  identity: c[3].optionalInt.flatMap { d in c[4].optionalInt.map { RootIdentity(device: UInt64(bitPattern: d), inode: UInt64(bitPattern: $0)) } },
                                  lastScan: c[5].optionalInt, lastScanned: c[6].optionalInt.map { Instant(microseconds: $0) },
                                  latestScan: c[7].optionalInt, latestScanExplicit: c[8].optionalInt == 1)
            }
        }
    }

    public func policyContext(_ name: String) throws(CatalogError) -> PolicyContext? {
        try onMain { s throws(CatalogError) in
            guard let row = try s.rows("SELECT id FROM contexts WHERE name = \(name)").first else { return nil }
            let id = Array(row)[0].int64
            let roots = try s.rows("SELECT id, path FROM roots WHERE context_id = \(id) ORDER BY id").map { r in
                let c = Array(r)
                return (id: c[0].int64, path: c[1].byteArray)
            }
            let categories = try s.rows("SELECT DISTINCT category FROM streams WHERE context_id = \(id)").map { Array($0)[0].string ?? "" }
            return PolicyContext(id: id, name: name, roots: roots, categories: Set(categories))
        }
    }
}
