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
        return try read { db in
            let stmt = try db.cachedStatement(sql: sql)
            return try Self.entries(stmt, arguments: StatementArguments([lo, hi]) + StatementArguments(args))
        }
    }

    /// Builds entries from rows of the shape `covers` and `find` select.
    static func entries(_ stmt: Statement, arguments: StatementArguments) throws -> [CatalogEntry] {
        var out: [CatalogEntry] = []
        let rows = try Row.fetchCursor(stmt, arguments: arguments)
        while let row = try rows.next() {
            let root = PathBytes(row[0] as Data), dir = PathBytes(row[1] as Data), name = PathBytes(row[2] as Data)
            let start: Int64? = row[8], end: Int64? = row[9]
            var e = CatalogEntry(
                path: (dir.isEmpty ? root : root.appendingComponent(dir)).appendingComponent(name),
                context: row[3], category: row[4], stream: row[5], dataset: row[6], size: row[7],
                coverage: start.map { Coverage(start: Instant(microseconds: $0), end: Instant(microseconds: end ?? $0)) },
                source: TimeSource(code: row[10]) ?? .mtime, state: FileState(rawValue: row[11]) ?? .live,
                goneAt: (row[12] as Int64?).map(Instant.init(microseconds:)), error: row[13])
            if let scan: Int64 = row[14], e.state == .missing { e.goneBy = "scan \(scan)" }
            if let run: Int64 = row[15], e.state == .deleted || e.state == .purged { e.goneBy = "policy run \(run)" }
            e.notes = row[16]
            out.append(e)
        }
        return out
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
        return try read { db in
            try Self.entries(try db.makeStatement(sql: sql), arguments: StatementArguments(args))
        }
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
