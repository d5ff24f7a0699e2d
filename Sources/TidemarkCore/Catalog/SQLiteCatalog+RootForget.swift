import Foundation
import GRDB

extension SQLiteCatalog {
    /// What the catalog holds under a root.
    public func contents(of root: RootState) throws(CatalogError) -> RootContents {
        try read { db in try Self.contents(root.id, db) }
    }

    private static func contents(_ rootId: Int64, _ db: Database) throws -> RootContents {
        var c = RootContents()
        let files = try Row.fetchOne(db, sql: """
            SELECT count(*), coalesce(sum(f.state = \(FileState.live.rawValue)), 0), coalesce(sum(CASE WHEN f.state = \(FileState.live.rawValue) THEN f.size END), 0)
            FROM files f JOIN dirs d ON d.id = f.dir_id WHERE d.root_id = ?
            """, arguments: [rootId])!
        (c.files, c.live, c.liveBytes) = (files[0], files[1], files[2])
        c.directories = try Int.fetchOne(db, sql: "SELECT count(*) FROM dirs WHERE root_id = ?", arguments: [rootId]) ?? 0
        let journal = try Row.fetchOne(db, sql: """
            SELECT count(*), coalesce(sum(j.result IS NULL), 0) FROM journal j JOIN files f ON f.id = j.file_id
            JOIN dirs d ON d.id = f.dir_id WHERE d.root_id = ?
            """, arguments: [rootId])!
        (c.journalEntries, c.openIntents) = (journal[0], journal[1])
        return c
    }

    /// Drops a stale or unavailable root: its directories and file rows (tombstones too) go,
    /// and the streams and datasets they were part of are recomputed. The forget is recorded
    /// in `root_events` with what the root held, and the journal entries of its files move to
    /// `forgotten_journal` with their paths, so the history of what runs did stays. Needs the
    /// policy lock: no run acts under the root meanwhile. Returns the event's id.
    public func forgetRoot(_ root: RootState, now: Instant, _ lock: PolicyLock) throws(CatalogError) -> (event: Int64, contents: RootContents) {
        try write { db in
            let contents = try Self.contents(root.id, db)
            try db.execute(sql: """
                INSERT INTO root_events (context, path, device, inode, event, at, files, live, bytes, last_scan, detail)
                VALUES (?, ?, ?, ?, 'forget', ?, ?, ?, ?, ?, ?)
                """, arguments: [root.context, Data(root.path), root.identity.map { Int64(bitPattern: $0.device) },
                                 root.identity.map { Int64(bitPattern: $0.inode) }, now.microseconds, contents.files, contents.live,
                                 contents.liveBytes, root.lastScan, root.unavailable.map { "unavailable: \($0)" } ?? root.why])
            let event = db.lastInsertedRowID
            let entries = try Row.fetchAll(db, sql: """
                SELECT j.id, j.run_id, d.path, f.name, j.action, j.rule, j.reason, j.size, j.intended, j.result, j.detail, j.finished
                FROM journal j JOIN files f ON f.id = j.file_id JOIN dirs d ON d.id = f.dir_id WHERE d.root_id = ? ORDER BY j.id
                """, arguments: [root.id])
            let keep = try db.makeStatement(sql: """
                INSERT INTO forgotten_journal (event_id, journal_id, run_id, path, action, rule, reason, size, intended, result, detail, finished)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let drop = try db.makeStatement(sql: "DELETE FROM journal WHERE id = ?")
            for e in entries {
                let dir = PathBytes(e[2] as Data)
                let path = (dir.isEmpty ? root.path : root.path.appendingComponent(dir)).appendingComponent(PathBytes(e[3] as Data))
                try keep.execute(arguments: [event, e[0], e[1], Data(path), e[4], e[5], e[6], e[7], e[8], e[9], e[10], e[11]])
                try drop.execute(arguments: [e[0]])
            }
            let under = "SELECT f.id FROM files f JOIN dirs d ON d.id = f.dir_id WHERE d.root_id = \(root.id)"
            let streams = try Int64.fetchAll(db, sql: "SELECT DISTINCT stream_id FROM files WHERE id IN (\(under))")
            let datasets = try Int64.fetchAll(db, sql: "SELECT DISTINCT dataset_id FROM files WHERE id IN (\(under)) AND dataset_id IS NOT NULL")
            try db.execute(sql: "DELETE FROM files WHERE id IN (\(under))")
            try db.execute(sql: "DELETE FROM dirs WHERE root_id = ?", arguments: [root.id])
            try db.execute(sql: "DELETE FROM roots WHERE id = ?", arguments: [root.id])
            try StreamFinisher(db: db).finish(streams: streams)
            // A dataset is the union of its live members, wherever they are.
            let member = "FROM files WHERE dataset_id = datasets.id AND state = \(FileState.live.rawValue)"
            try db.execute(sql: """
                UPDATE datasets SET start = (SELECT min(start) \(member)), "end" = (SELECT max("end") \(member)),
                       files = (SELECT count(*) \(member)), bytes = (SELECT coalesce(sum(size), 0) \(member))
                WHERE id IN (\(datasets.map(String.init).joined(separator: ",")))
                """)
            return (event, contents)
        }
    }
}
