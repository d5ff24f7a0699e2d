import Foundation
import PostgresNIO
import TidemarkCore

// The PostgreSQL adapter of `CatalogListing`, answering as the SQLite adapter does.

extension PostgresCatalog: CatalogListing {
    public func contextNames() throws(CatalogError) -> [String] {
        try catching { try rows(#"SELECT name FROM contexts ORDER BY name COLLATE "C""#).map { try $0.decode(String.self) } }
    }

    public func rootRecords(context: String?) throws(CatalogError) -> [RootRecord] {
        var b = SQLBuilder()
        let filter = b.streamFilter(context: context, categories: [], stream: nil)
        b.sql = """
            WITH latest AS (SELECT context_id, max(id) AS id FROM scans WHERE status = '\(ScanStatus.complete.rawValue)' GROUP BY context_id)
            SELECT r.id, c.name, r.path, r.device, r.inode, r.last_scan, s.finished, l.id, ls.explicit_roots
            FROM roots r JOIN contexts c ON c.id = r.context_id LEFT JOIN scans s ON s.id = r.last_scan
            LEFT JOIN latest l ON l.context_id = c.id LEFT JOIN scans ls ON ls.id = l.id
            \(Self.whereClause(filter)) ORDER BY c.name COLLATE "C", r.id
            """
        return try catching {
            try rows(b.query).map { row in
                let r = PostgresRandomAccessRow(row)
                let device = try r[3].decode(Int64?.self), inode = try r[4].decode(Int64?.self)
                return RootRecord(id: try r[0].decode(Int64.self), context: try r[1].decode(String.self), path: try r[2].bytes(),
                                  identity: device.flatMap { d in inode.map { RootIdentity(device: UInt64(bitPattern: d), inode: UInt64(bitPattern: $0)) } },
                                  lastScan: try r[5].decode(Int64?.self), lastScanned: try r[6].decode(Int64?.self).map { Instant(microseconds: $0) },
                                  latestScan: try r[7].decode(Int64?.self), latestScanExplicit: try r[8].decode(Int?.self) == 1)
            }
        }
    }

    public func policyContext(_ name: String) throws(CatalogError) -> PolicyContext? {
        try catching {
            guard let id = try rows("SELECT id FROM contexts WHERE name = \(name)").first?.decode(Int64.self) else { return nil }
            let roots = try rows("SELECT id, path FROM roots WHERE context_id = \(id) ORDER BY id").map { row in
                let r = PostgresRandomAccessRow(row)
                return (id: try r[0].decode(Int64.self), path: try r[1].bytes())
            }
            let categories = try rows("SELECT DISTINCT category FROM streams WHERE context_id = \(id)").map { try $0.decode(String.self) }
            return PolicyContext(id: id, name: name, roots: roots, categories: Set(categories))
        }
    }
}

extension PostgresCatalog {
    /// What the catalog holds under a root.
    public func contents(of root: RootState) throws(CatalogError) -> RootContents {
        try catching {
            var c = RootContents()
            let live = FileState.live.rawValue
            let files = PostgresRandomAccessRow(try rows("""
                SELECT count(*), count(*) FILTER (WHERE f.state = \(unescaped: String(live))),
                       coalesce(sum(f.size) FILTER (WHERE f.state = \(unescaped: String(live))), 0)::bigint
                FROM files f JOIN dirs d ON d.id = f.dir_id WHERE d.root_id = \(root.id)
                """)[0])
            (c.files, c.live, c.liveBytes) = (try files[0].decode(Int.self), try files[1].decode(Int.self), try files[2].decode(Int64.self))
            c.directories = try rows("SELECT count(*) FROM dirs WHERE root_id = \(root.id)")[0].decode(Int.self)
            let journal = PostgresRandomAccessRow(try rows("""
                SELECT count(*), count(*) FILTER (WHERE j.result IS NULL) FROM journal j JOIN files f ON f.id = j.file_id
                JOIN dirs d ON d.id = f.dir_id WHERE d.root_id = \(root.id)
                """)[0])
            (c.journalEntries, c.openIntents) = (try journal[0].decode(Int.self), try journal[1].decode(Int.self))
            return c
        }
    }
}
