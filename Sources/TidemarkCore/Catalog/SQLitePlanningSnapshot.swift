import Foundation
import GRDB

// The SQLite adapter of `PlanningStore`: one read transaction of the pool (WAL: a snapshot
// that writers do not disturb), prepared statements stepped directly on the hot reads.

extension SQLiteCatalog: PlanningStore {
    public func withSnapshot<T>(_ body: (any PlanningSnapshot) throws -> T) throws(CatalogError) -> T {
        try read { db in try body(SQLitePlanningSnapshot(db: db)) }
    }
}

extension RootScope {
    /// To append to a `WHERE` clause over `files` (empty when every root is in scope, so
    /// the common case costs nothing).
    var sql: String {
        guard let ids else { return "" }
        let list = ids.isEmpty ? "NULL" : ids.sorted().map(String.init).joined(separator: ",")
        return " AND (SELECT root_id FROM dirs WHERE dirs.id = files.dir_id) IN (\(list))"
    }
}

/// A planning snapshot over one GRDB read transaction.
struct SQLitePlanningSnapshot: PlanningSnapshot {
    let db: Database

    static let live = FileState.live.rawValue
    static let mtime = TimeSource.mtime.code

    func streams(context: Int64, categories: [String]) throws -> [Int64: StreamName] {
        var out: [Int64: StreamName] = [:]
        let rows = try Row.fetchAll(db, sql: "SELECT id, category, name FROM streams WHERE context_id = ? AND category IN (\(marks(categories.count)))",
                                    arguments: StatementArguments([context] + categories))
        for r in rows { out[r[0]] = StreamName(category: r[1], name: r[2]) }
        return out
    }

    func newest(streams: [Int64], keep: Int, startBy: Instant, scope: RootScope) throws -> Set<Int64> {
        try Self.newest(db, streams: streams, keep: keep, startBy: startBy, scope: scope)
    }

    /// The `n` newest live files of each stream among those starting by `startBy`.
    static func newest(_ db: Database, streams: some Sequence<Int64>, keep n: Int, startBy: Instant, scope: RootScope) throws -> Set<Int64> {
        let stmt = try db.cachedStatement(sql: """
            SELECT id FROM files WHERE stream_id = ? AND state = \(live) AND start IS NOT NULL AND start <= ?\(scope.sql)
            ORDER BY start DESC, id DESC LIMIT ?
            """)
        var out = Set<Int64>()
        for s in streams { out.formUnion(try Int64.fetchAll(stmt, arguments: [s, startBy.microseconds, max(1, n)])) }
        return out
    }

    func futureFiles(streams: [Int64], after: Instant, scope: RootScope) throws -> (count: Int, latest: FileName?) {
        guard !streams.isEmpty else { return (0, nil) }
        let list = streams.map(String.init).joined(separator: ",")
        let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE stream_id IN (\(list)) AND state = \(Self.live) AND start > ?\(scope.sql)",
                                 arguments: [after.microseconds]) ?? 0
        guard n > 0, let row = try Row.fetchOne(db, sql: """
            SELECT dir_id, name FROM files WHERE stream_id IN (\(list)) AND state = \(Self.live) AND start > ?\(scope.sql) ORDER BY start DESC, id DESC LIMIT 1
            """, arguments: [after.microseconds]) else { return (n, nil) }
        return (n, FileName(directory: row[0], name: PathBytes(row[1] as Data)))
    }

    func candidates(streams: [Int64], _ f: CandidateFilter, _ body: (Candidate) throws -> Bool) throws {
        guard !streams.isEmpty else { return }
        var sql = """
            SELECT id, dir_id, name, size, mtime, inode, device, start, coalesce("end", start), stream_id, dataset_id, ctime, source
            FROM files WHERE stream_id IN (\(streams.map(String.init).joined(separator: ","))) AND state = \(Self.live) AND start IS NOT NULL\(f.scope.sql)
            """
        var args: [Int64] = []
        if let from = f.from { sql += " AND start >= ?"; args.append(from.microseconds) }
        if let to = f.to { sql += " AND start < ? AND coalesce(\"end\", start) <= ?"; args += [to.microseconds, to.microseconds] }
        if let endBy = f.endBy { sql += " AND coalesce(\"end\", start) <= ?"; args.append(endBy.microseconds) }
        if let startBy = f.startBy { sql += " AND start <= ?"; args.append(startBy.microseconds) }
        if f.excludeMtime { sql += " AND source <> \(Self.mtime)" }
        sql += " ORDER BY start, \"end\", id"
        try rows(sql, args, body)
    }

    func members(dataset: Int64, scope: RootScope) throws -> [Candidate?] {
        var out: [Candidate?] = []
        let sql = """
            SELECT id, dir_id, name, size, mtime, inode, device, start, coalesce("end", start), stream_id, dataset_id, ctime, source
            FROM files WHERE dataset_id = ? AND state = \(Self.live)\(scope.sql) ORDER BY start, "end", id
            """
        try rows(sql, [dataset], { out.append($0); return true }, uncovered: { out.append(nil) })
        return out
    }

    private func rows(_ sql: String, _ args: [Int64], _ body: (Candidate) throws -> Bool, uncovered: (() -> Void)? = nil) throws {
        let stmt = FastStatement(try db.makeStatement(sql: sql))
        for (i, a) in args.enumerated() { stmt.bind(Int32(i + 1), a) }
        do {
            try stmt.forEachRow { row in
                if row.isNull(7) { uncovered?(); return }
                let c = Candidate(
                    id: row.int64(0), dirId: row.int64(1), name: row.blob(2),
                    stat: FileStat(size: row.int64(3), mtimeNanoseconds: row.int64(4),
                                   inode: UInt64(bitPattern: row.int64(5)), device: UInt64(bitPattern: row.int64(6)),
                                   ctimeNanoseconds: row.int64(11)),
                    coverage: Coverage(start: Instant(microseconds: row.int64(7)), end: Instant(microseconds: row.int64(8))),
                    streamId: row.int64(9), datasetId: row.isNull(10) ? nil : row.int64(10),
                    fromMtime: row.int64(12) == Int64(Self.mtime))
                if try !body(c) { throw Stop() }
            }
        } catch is Stop {}
    }

    private struct Stop: Error {}

    func directory(_ id: Int64) throws -> (root: Int64, path: PathBytes)? {
        try Row.fetchOne(db, sql: "SELECT root_id, path FROM dirs WHERE id = ?", arguments: [id]).map { ($0[0], PathBytes($0[1] as Data)) }
    }

    func datasetName(_ id: Int64) throws -> String? {
        try String.fetchOne(db, sql: "SELECT name FROM datasets WHERE id = ?", arguments: [id])
    }

    func openJournalFiles() throws -> Set<Int64> {
        // A catalog opened read-only may predate the journal.
        guard try db.tableExists("journal") else { return [] }
        return Set(try Int64.fetchAll(db, sql: "SELECT file_id FROM journal WHERE result IS NULL AND file_id IS NOT NULL"))
    }

    func pinnedFiles(at now: Instant) throws -> [Int64: Int64] {
        // A catalog opened read-only may predate requests.
        guard try db.tableExists("requests") else { return [:] }
        var out: [Int64: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT rf.file_id, min(q.id) FROM request_files rf JOIN requests q ON q.id = rf.request_id WHERE \(pinningRequests) GROUP BY rf.file_id", arguments: [now.microseconds]) {
            out[row[0]] = row[1]
        }
        return out
    }
}

/// The requests that pin their files at `?1` (now): open ones, those faulted by the system
/// (a revert retries them), and full ones within their grace.
let pinningRequests = """
    (q.state IN ('new', 'run') OR (q.state = 'fault' AND q.fault < \(RequestFault.firstUserCode)) OR (q.state = 'full' AND q.pinned_until > ?1))
    """
