import Foundation
import PostgresNIO
import TidemarkCore

extension PostgresCatalog {
    /// Drops a stale or unavailable root, as the SQLite catalog does (`forgetRoot` there):
    /// its directories and file rows go, the streams and datasets they were part of are
    /// recomputed, the forget is recorded in `root_events` and the journal entries of its
    /// files move to `forgotten_journal` with their paths; one transaction.
    public func forgetRoot(_ root: RootState, now: Instant, _ lock: PolicyLock) throws(CatalogError) -> (event: Int64, contents: RootContents) {
        try transaction(.write) {
            // The root's row first: a scan or another forget of it waits, and sees it gone.
            try execute("SELECT id FROM roots WHERE id = \(root.id) FOR UPDATE")
            let contents = try self.contents(of: root)
            let event = try first("""
                INSERT INTO root_events (context, path, device, inode, event, at, files, live, bytes, last_scan, detail)
                VALUES (\(root.context), \(ByteBuffer(bytes: root.path)), \(root.identity.map { Int64(bitPattern: $0.device) }),
                        \(root.identity.map { Int64(bitPattern: $0.inode) }), 'forget', \(now.microseconds), \(Int64(contents.files)),
                        \(Int64(contents.live)), \(contents.liveBytes), \(root.lastScan), \(root.unavailable.map { "unavailable: \($0)" } ?? root.why))
                RETURNING id
                """)!.int(0)
            // The journal entries keep their paths: the root's path, the directory's, the name.
            var kept: [(id: Int64, path: PathBytes)] = []
            try each("""
                SELECT j.id, d.path, f.name FROM journal j JOIN files f ON f.id = j.file_id JOIN dirs d ON d.id = f.dir_id
                WHERE d.root_id = \(root.id) ORDER BY j.id
                """) { r in
                let dir = try r.bytes(1)
                kept.append((try r.int(0), (dir.isEmpty ? root.path : root.path.appendingComponent(dir)).appendingComponent(try r.bytes(2))))
            }
            if !kept.isEmpty {
                try execute("""
                    INSERT INTO forgotten_journal (event_id, journal_id, run_id, path, action, rule, reason, size, intended, result, detail, finished)
                    SELECT \(event), j.id, j.run_id, k.path, j.action, j.rule, j.reason, j.size, j.intended, j.result, j.detail, j.finished
                    FROM unnest(\(kept.map(\.id)), \(kept.map { ByteBuffer(bytes: $0.path) })) AS k(id, path) JOIN journal j ON j.id = k.id
                    ORDER BY j.id
                    """)
                try execute("DELETE FROM journal WHERE id = ANY(\(kept.map(\.id)))")
            }
            let under = "SELECT f.id FROM files f JOIN dirs d ON d.id = f.dir_id WHERE d.root_id = \(root.id)"
            let streams = try rows(PostgresQuery(unsafeSQL: "SELECT DISTINCT stream_id FROM files WHERE id IN (\(under))")).map { try $0.decode(Int64.self) }
            let datasets = try rows(PostgresQuery(unsafeSQL: "SELECT DISTINCT dataset_id FROM files WHERE id IN (\(under)) AND dataset_id IS NOT NULL"))
                .map { try $0.decode(Int64.self) }
            try execute(PostgresQuery(unsafeSQL: "DELETE FROM files WHERE id IN (\(under))"))
            try execute("DELETE FROM dirs WHERE root_id = \(root.id)")
            try execute("DELETE FROM roots WHERE id = \(root.id)")
            try finishStreams(streams)
            // A dataset is the union of its live members, wherever they are.
            if !datasets.isEmpty {
                let member = "FROM files WHERE dataset_id = datasets.id AND state = \(FileState.live.rawValue)"
                try execute(PostgresQuery(unsafeSQL: """
                    UPDATE datasets SET start = (SELECT min(start) \(member)), "end" = (SELECT max("end") \(member)),
                           files = (SELECT count(*) \(member)), bytes = (SELECT coalesce(sum(size), 0) \(member))
                    WHERE id = ANY(ARRAY[\(datasets.map(String.init).joined(separator: ","))]::int8[])
                    """))
            }
            return (event, contents)
        }
    }
}
