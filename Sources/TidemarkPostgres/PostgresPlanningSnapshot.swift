import PostgresNIO
import TidemarkCore

// The PostgreSQL adapter of `PlanningStore`: one REPEATABLE READ, READ ONLY transaction is
// the snapshot (every statement sees the catalog as it was at the first), and candidates come
// through a cursor in batches, so a plan over millions of files never holds them all.

extension PostgresCatalog: PlanningStore {
    public func withSnapshot<T>(_ body: (any PlanningSnapshot) throws -> T) throws(CatalogError) -> T {
        try transaction(.snapshot) { try body(PostgresPlanningSnapshot(catalog: self)) }
    }
}

extension RootScope {
    /// To append to a `WHERE` clause over `files` (empty when every root is in scope). The
    /// ids are integers written as literals: nothing from outside reaches the SQL text.
    var postgresSQL: String {
        guard let ids else { return "" }
        let list = ids.sorted().map(String.init).joined(separator: ",")
        return " AND (SELECT root_id FROM dirs WHERE dirs.id = files.dir_id) = ANY(ARRAY[\(list)]::int8[])"
    }
}

/// A planning snapshot inside the transaction `PostgresCatalog.withSnapshot` holds open.
struct PostgresPlanningSnapshot: PlanningSnapshot {
    let catalog: PostgresCatalog

    static let live = FileState.live.rawValue

    func streams(context: Int64, categories: [String]) throws -> [Int64: StreamName] {
        var out: [Int64: StreamName] = [:]
        try catalog.each("SELECT id, category, name FROM streams WHERE context_id = \(context) AND category = ANY(\(categories))") { r in
            out[try r.int(0)] = StreamName(category: try r.text(1), name: try r.text(2))
        }
        return out
    }

    func newest(streams: [Int64], keep: Int, startBy: Instant, scope: RootScope) throws -> Set<Int64> {
        try catalog.newestFiles(streams: streams, keep: keep, startBy: startBy, scope: scope)
    }

    func futureFiles(streams: [Int64], after: Instant, scope: RootScope) throws -> (count: Int, latest: FileName?) {
        guard !streams.isEmpty else { return (0, nil) }
        let n = try catalog.first("""
            SELECT count(*) FROM files WHERE stream_id = ANY(\(streams)) AND state = \(Self.live) AND start > \(after.microseconds)\(unescaped: scope.postgresSQL)
            """)?.int(0) ?? 0
        guard n > 0, let row = try catalog.first("""
            SELECT dir_id, name FROM files WHERE stream_id = ANY(\(streams)) AND state = \(Self.live) AND start > \(after.microseconds)\(unescaped: scope.postgresSQL)
            ORDER BY start DESC, id DESC LIMIT 1
            """) else { return (Int(n), nil) }
        return (Int(n), FileName(directory: try row.int(0), name: try row.bytes(1)))
    }

    func candidates(streams: [Int64], _ f: CandidateFilter, _ body: (Candidate) throws -> Bool) throws {
        guard !streams.isEmpty else { return }
        // Literals only (integers): a cursor is declared by text.
        var sql = """
            SELECT \(Self.columns) FROM files
            WHERE stream_id = ANY(ARRAY[\(streams.map(String.init).joined(separator: ","))]::int8[]) AND state = \(Self.live) AND start IS NOT NULL\(f.scope.postgresSQL)
            """
        if let from = f.from { sql += " AND start >= \(from.microseconds)" }
        if let to = f.to { sql += " AND start < \(to.microseconds) AND coalesce(\"end\", start) <= \(to.microseconds)" }
        if let endBy = f.endBy { sql += " AND coalesce(\"end\", start) <= \(endBy.microseconds)" }
        if let startBy = f.startBy { sql += " AND start <= \(startBy.microseconds)" }
        if f.excludeMtime { sql += " AND source <> \(TimeSource.mtime.code)" }
        // SQLite puts NULLs first; so must the snapshot, to plan the same.
        sql += " ORDER BY start, \"end\" NULLS FIRST, id"
        try catalog.cursor(sql) { r in try body(try Self.candidate(r)) }
    }

    func members(dataset: Int64, scope: RootScope) throws -> [Candidate?] {
        var out: [Candidate?] = []
        try catalog.each("""
            SELECT \(unescaped: Self.columns) FROM files WHERE dataset_id = \(dataset) AND state = \(Self.live)\(unescaped: scope.postgresSQL)
            ORDER BY start NULLS FIRST, "end" NULLS FIRST, id
            """) { r in out.append(r.isNull(7) ? nil : try Self.candidate(r)) }
        return out
    }

    func directory(_ id: Int64) throws -> (root: Int64, path: PathBytes)? {
        try catalog.first("SELECT root_id, path FROM dirs WHERE id = \(id)").map { (try $0.int(0), try $0.bytes(1)) }
    }

    func datasetName(_ id: Int64) throws -> String? {
        try catalog.first("SELECT name FROM datasets WHERE id = \(id)").map { try $0.text(0) }
    }

    func openJournalFiles() throws -> Set<Int64> {
        Set(try catalog.rows("SELECT file_id FROM journal WHERE result IS NULL AND file_id IS NOT NULL").map { try $0.decode(Int64.self) })
    }

    func pinnedFiles(at now: Instant) throws -> [Int64: Int64] {
        // A catalog a read-only role queries may predate requests.
        guard try catalog.rows("SELECT to_regclass('request_files') IS NOT NULL")[0].decode(Bool.self) else { return [:] }
        // As SQLite's `pinningRequests`: open requests, those the system faulted, full ones within their grace.
        var out: [Int64: Int64] = [:]
        for row in try catalog.rows("""
            SELECT rf.file_id, min(q.id) FROM request_files rf JOIN requests q ON q.id = rf.request_id
            WHERE q.state IN ('new', 'run') OR (q.state = 'fault' AND q.fault < \(Int32(RequestFault.firstUserCode)))
               OR (q.state = 'full' AND q.pinned_until > \(now.microseconds))
            GROUP BY rf.file_id
            """) {
            let (file, request) = try row.decode((Int64, Int64).self)
            out[file] = request
        }
        return out
    }

    /// The columns `candidate` reads, in its order.
    static let columns = """
        id, dir_id, name, size, mtime, inode, device, start, coalesce("end", start), stream_id, dataset_id, ctime, source
        """

    static func candidate(_ r: Cells) throws -> Candidate {
        Candidate(
            id: try r.int(0), dirId: try r.int(1), name: try r.bytes(2),
            stat: FileStat(size: try r.int(3), mtimeNanoseconds: try r.int(4), inode: UInt64(bitPattern: try r.int(5)),
                           device: UInt64(bitPattern: try r.int(6)), ctimeNanoseconds: try r.int(11)),
            coverage: Coverage(start: Instant(microseconds: try r.int(7)), end: Instant(microseconds: try r.int(8))),
            streamId: try r.int(9), datasetId: try r.optionalInt(10), fromMtime: try r.int(12) == Int64(TimeSource.mtime.code))
    }

}

