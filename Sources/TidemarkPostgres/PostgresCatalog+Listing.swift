import PostgresNIO
import TidemarkCore

// The PostgreSQL adapter of `CatalogListing`: the contexts and roots a catalog holds.

extension PostgresCatalog: CatalogListing {
    public func contextNames() throws(CatalogError) -> [String] {
        try transaction(.snapshot) {
            try rows("SELECT name FROM contexts ORDER BY name COLLATE \"C\"").map { try $0.decode(String.self) }
        }
    }

    public func rootRecords(context: String?) throws(CatalogError) -> [RootRecord] {
        try transaction(.snapshot) {
            var out: [RootRecord] = []
            try each("""
                WITH latest AS (SELECT context_id, max(id) AS id FROM scans WHERE status = \(ScanStatus.complete.rawValue) GROUP BY context_id)
                SELECT r.id, c.name, r.path, r.device, r.inode, r.last_scan, s.finished, l.id, ls.explicit_roots::int8
                FROM roots r JOIN contexts c ON c.id = r.context_id LEFT JOIN scans s ON s.id = r.last_scan
                LEFT JOIN latest l ON l.context_id = c.id LEFT JOIN scans ls ON ls.id = l.id
                WHERE \(context)::text IS NULL OR c.name = \(context) ORDER BY c.name COLLATE "C", r.id
                """) { r in
                let identity = try r.optionalInt(3).flatMap { d in
                    try r.optionalInt(4).map { RootIdentity(device: UInt64(bitPattern: d), inode: UInt64(bitPattern: $0)) }
                }
                out.append(RootRecord(id: try r.int(0), context: try r.text(1), path: try r.bytes(2), identity: identity,
                                      lastScan: try r.optionalInt(5), lastScanned: try r.optionalInt(6).map(Instant.init(microseconds:)),
                                      latestScan: try r.optionalInt(7), latestScanExplicit: try r.optionalInt(8) == 1))
            }
            return out
        }
    }

    public func policyContext(_ name: String) throws(CatalogError) -> PolicyContext? {
        try transaction(.snapshot) {
            guard let id = try first("SELECT id FROM contexts WHERE name = \(name)").map({ try $0.int(0) }) else { return nil }
            var roots: [(id: Int64, path: PathBytes)] = []
            try each("SELECT id, path FROM roots WHERE context_id = \(id) ORDER BY id") { r in roots.append((try r.int(0), try r.bytes(1))) }
            let categories = try rows("SELECT DISTINCT category FROM streams WHERE context_id = \(id)").map { try $0.decode(String.self) }
            return PolicyContext(id: id, name: name, roots: roots, categories: Set(categories))
        }
    }
}
