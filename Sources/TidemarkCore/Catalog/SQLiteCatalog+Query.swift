import Foundation
import GRDB

// The SQLite adapter of `QueryStore`: the queries' SQL, on the indexes the scanner keeps.

extension SQLiteCatalog: QueryStore {}

extension SQLiteCatalog {
    /// Files overlapping the window, ordered by context, category, stream and start.
    ///
    /// Each stream is searched on its `(stream_id, start)` index from `begin - longest
    /// file of the stream`: a range scan of the few files that can overlap, however large
    /// the catalog. (An R*Tree would answer too, but keeping one current costs a scan
    /// 10–17× per insert; the bound costs nothing to keep.) `CROSS JOIN` keeps SQLite
    /// from choosing to scan every file instead.
    public func covers(_ q: CoversQuery) throws(CatalogError) -> [CatalogEntry] {
        let (conditions, args) = streamFilter(context: q.context, categories: q.categories, stream: q.stream)
        let lo = q.window.lo, hi = q.window.hi
        let overlap = q.window.isInstant
            ? "f.start <= ?2 AND (f.\"end\" > ?1 OR (f.start = f.\"end\" AND f.start = ?1))"
            : "f.start < ?2 AND (f.\"end\" > ?1 OR (f.start = f.\"end\" AND f.start >= ?1))"
        let sql = """
            SELECT r.path, d.path, f.name, c.name, s.category, s.name, ds.name, f.size, f.start, f."end",
                   f.source, f.state, f.gone_at, f.error, f.gone_scan, f.gone_run, f.notes
            FROM streams s JOIN contexts c ON c.id = s.context_id
            CROSS JOIN files f ON f.stream_id = s.id AND f.start >= ?1 - s.max_duration AND \(overlap)
            JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            LEFT JOIN datasets ds ON ds.id = f.dataset_id
            WHERE \(q.states.isEmpty ? "1" : "f.state IN (\(q.states.map { String($0.rawValue) }.joined(separator: ",")))")
                  \(conditions.map { " AND " + $0 }.joined())
            ORDER BY c.name, s.category, s.name, f.start, f.id
            \(q.limit.map { "LIMIT \($0)" } ?? "")
            """
        return try entries(sql: sql, times: [lo, hi], names: args)
    }

    /// Entries from a query of the shape `covers` and `find` select, on a reader of the
    /// queries' own with its statement prepared once: `times` bound first (?1, ?2), then `names`.
    func entries(sql: String, times: [Int64], names: [String]) throws(CatalogError) -> [CatalogEntry] {
        try readers.with { (reader) throws(CatalogError) -> [CatalogEntry] in
            let statement = try reader.statement(sql)
            var i: Int32 = 1
            for t in times { statement.bind(i, t); i += 1 }
            for n in names { statement.bind(i, text: n); i += 1 }
            var out: [CatalogEntry] = []
            try statement.forEachRow { row in out.append(Self.entry(row)) }
            return out
        }
    }

    /// One row of the shape `covers` and `find` select.
    static func entry(_ row: FastStatement.Row) -> CatalogEntry {
        let root = row.blob(0), dir = row.blob(1), name = row.blob(2)
        let start = row.int64OrNil(8), end = row.int64OrNil(9)
        var e = CatalogEntry(
            path: (dir.isEmpty ? root : root.appendingComponent(dir)).appendingComponent(name),
            context: row.text(3), category: row.text(4), stream: row.text(5), dataset: row.textOrNil(6), size: row.int64(7),
            coverage: start.map { Coverage(start: Instant(microseconds: $0), end: Instant(microseconds: end ?? $0)) },
            source: TimeSource(code: Int(row.int64(10))) ?? .mtime, state: FileState(rawValue: Int(row.int64(11))) ?? .live,
            goneAt: row.int64OrNil(12).map(Instant.init(microseconds:)), error: row.textOrNil(13))
        if let scan = row.int64OrNil(14), e.state == .missing { e.goneBy = "scan \(scan)" }
        if let run = row.int64OrNil(15), e.state == .deleted || e.state == .purged { e.goneBy = "policy run \(run)" }
        e.notes = row.textOrNil(16)
        return e
    }
}

extension SQLiteCatalog {
    /// Catalogued files matching `query`, ordered by context, category, stream and start.
    public func find(_ q: FindQuery) throws(CatalogError) -> [CatalogEntry] {
        if let c = q.asCovers { return try covers(c) }
        var (conditions, args) = streamFilter(context: q.context, categories: q.categories, stream: q.stream)
        if !q.states.isEmpty {
            conditions.append("f.state IN (\(q.states.map { String($0.rawValue) }.joined(separator: ",")))")
        }
        let sql = """
            SELECT r.path, d.path, f.name, c.name, s.category, s.name, ds.name, f.size, f.start, f."end",
                   f.source, f.state, f.gone_at, f.error, f.gone_scan, f.gone_run, f.notes
            FROM files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            JOIN contexts c ON c.id = r.context_id JOIN streams s ON s.id = f.stream_id
            LEFT JOIN datasets ds ON ds.id = f.dataset_id
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY c.name, s.category, s.name, f.start, f.id
            \(q.limit.map { "LIMIT \($0)" } ?? "")
            """
        return try entries(sql: sql, times: [], names: args)
    }
}

extension SQLiteCatalog {
    /// Report rows ordered by group. By month, files count in the UTC month their coverage
    /// starts (`none` for files without coverage). Adds up the monthly rollups the scanner
    /// keeps per stream: no file is read.
    public func report(_ q: ReportQuery) throws(CatalogError) -> [ReportRow] {
        let (filter, args) = streamFilter(context: q.context, categories: q.categories, stream: q.stream)
        let key = switch q.by {
        case .context: "c.name, '', ''"
        case .category: "c.name, s.category, ''"
        case .stream: "c.name, s.category, s.name"
        case .month: "m.month, '', ''"
        }
        let sql = """
            SELECT \(key), sum(m.files), sum(m.bytes), min(m.oldest), max(m.newest), sum(m.missing), sum(m.deleted)
            FROM stream_months m JOIN streams s ON s.id = m.stream_id JOIN contexts c ON c.id = s.context_id
            \(filter.isEmpty ? "" : "WHERE " + filter.joined(separator: " AND "))
            GROUP BY 1, 2, 3 ORDER BY \(q.by == .month ? "m.month < 0, 1" : "1, 2, 3")
            """
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { r in
                var row = ReportRow(group: [:])
                switch q.by {
                case .context: row.group = ["context": r[0]]
                case .category: row.group = ["context": r[0], "category": r[1]]
                case .stream: row.group = ["context": r[0], "category": r[1], "stream": r[2]]
                case .month:
                    let m: Int = r[0]
                    row.group = ["month": m < 0 ? "none" : String(format: "%04d-%02d", m / 12, m % 12 + 1)]
                }
                row.files = r[3]; row.bytes = r[4]
                row.oldest = (r[5] as Int64?).map(Instant.init(microseconds:))
                row.newest = (r[6] as Int64?).map(Instant.init(microseconds:))
                row.missing = r[7]; row.deleted = r[8]
                return row
            }
        }
    }
}

extension SQLiteCatalog {
    /// Live files, bytes and coverage span per context and category, with tombstone counts.
    public func summary(context: String?) throws(CatalogError) -> [CategorySummary] {
        try read { db in
            // From the monthly rollups: the summary after a scan costs no pass over the files.
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.name, s.category, count(DISTINCT CASE WHEN m.files > 0 THEN s.id END),
                       sum(m.files), sum(m.bytes), sum(m.missing), sum(m.deleted), sum(m.errors),
                       min(m.oldest), max(m.newest)
                FROM stream_months m JOIN streams s ON s.id = m.stream_id JOIN contexts c ON c.id = s.context_id
                \(context == nil ? "" : "WHERE c.name = ?")
                GROUP BY c.name, s.category ORDER BY c.name, s.category
                """, arguments: context.map { [$0] } ?? [])
            return rows.map { r in
                CategorySummary(context: r[0], category: r[1], streams: r[2], files: r[3], bytes: r[4], missing: r[5],
                                deleted: r[6], errors: r[7], earliest: (r[8] as Int64?).map(Instant.init(microseconds:)),
                                latest: (r[9] as Int64?).map(Instant.init(microseconds:)))
            }
        }
    }
}


extension SQLiteCatalog {
    /// Reads the coverage runs the scanner keeps, not files.
    public func coverageRuns(_ q: CoverageQuery) throws(CatalogError) -> [StreamRuns] {
        var (filter, args) = streamFilter(context: q.context, categories: q.categories, stream: q.stream)
        let from = q.from.microseconds, to = q.to.microseconds
        return try read { db in
            // Streams whose files are all instants (modification times) have no extent to
            // cover anything; they are left out unless asked for by category or stream.
            if q.categories.isEmpty && q.stream == nil { filter.append("s.max_duration > 0") }
            let streams = try Row.fetchAll(db, sql: """
                SELECT s.id, c.name, s.category, s.name FROM streams s JOIN contexts c ON c.id = s.context_id
                \(filter.isEmpty ? "" : "WHERE " + filter.joined(separator: " AND "))
                ORDER BY c.name, s.category, s.name
                """, arguments: StatementArguments(args))
            // Runs of one stream and kind do not overlap: the first one that can reach the
            // window is the last to start at or before it, so the index range starts there.
            let runs = FastStatement(try db.cachedStatement(sql: """
                SELECT start, "end" FROM coverage_runs
                WHERE stream_id = ?1 AND live = ?4 AND start < ?3 AND "end" > ?2
                  AND start >= coalesce((SELECT max(start) FROM coverage_runs WHERE stream_id = ?1 AND live = ?4 AND start <= ?2), ?2)
                ORDER BY start
                """))
            return try streams.map { s in
                var out = StreamRuns(context: s[1], category: s[2], stream: s[3], live: [], gone: [])
                for live in [true, false] {
                    runs.bind(1, s[0] as Int64)
                    runs.bind(2, from)
                    runs.bind(3, to)
                    runs.bind(4, live ? 1 : 0)
                    try runs.forEachRow { r in
                        let span = Span(max(r.int64(0), from), min(r.int64(1), to))
                        if live { out.live.append(span) } else { out.gone.append(span) }
                    }
                }
                return out
            }
        }
    }
}
