import Foundation
import NIOCore
import PostgresNIO
import TidemarkCore

// The PostgreSQL adapter of `QueryStore`: the SQLite adapter's queries on the same tables
// and indexes, answering row for row as it does. Text sorts with COLLATE "C" (bytewise, as
// SQLite's BINARY), whatever the database's collation; sums are cast back to bigint.

extension PostgresCatalog: QueryStore {
    /// Files overlapping the window: per stream, the `(stream_id, start)` index range from
    /// `begin - longest file of the stream`, as on SQLite. (Measured against a GiST index on
    /// `int8range(start, "end")` on a 1 M-file catalog: the same p50 and p99 within noise, ~0.13
    /// and ~4 ms, while the GiST index costs every scan's inserts its upkeep; so no such index.)
    public func covers(_ q: CoversQuery) throws(CatalogError) -> [CatalogEntry] {
        var b = SQLBuilder()
        let lo = b.bind(q.window.lo), hi = b.bind(q.window.hi)
        let overlap = q.window.isInstant
            ? "f.start <= \(hi) AND (f.\"end\" > \(lo) OR (f.start = f.\"end\" AND f.start = \(lo)))"
            : "f.start < \(hi) AND (f.\"end\" > \(lo) OR (f.start = f.\"end\" AND f.start >= \(lo)))"
        // OFFSET 0 keeps the planner from flattening the per-stream search into one scan of
        // every file (which it prefers, unable to estimate a bound that differs per stream).
        return try entries(&b, from: """
            streams s JOIN contexts c ON c.id = s.context_id
            CROSS JOIN LATERAL (
                SELECT * FROM files f WHERE f.stream_id = s.id AND f.start >= \(lo) - s.max_duration AND \(overlap) OFFSET 0
            ) f
            JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            """, context: q.context, categories: q.categories, stream: q.stream, states: q.states, limit: q.limit)
    }

    public func find(_ q: FindQuery) throws(CatalogError) -> [CatalogEntry] {
        if let c = q.asCovers { return try covers(c) }
        var b = SQLBuilder()
        return try entries(&b, from: """
            files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            JOIN contexts c ON c.id = r.context_id JOIN streams s ON s.id = f.stream_id
            """, context: q.context, categories: q.categories, stream: q.stream, states: q.states, limit: q.limit)
    }

    /// The entries of `joins` (files `f` with their dirs `d`, roots `r`, streams `s` and
    /// contexts `c`) that the filters select, in stream order and then by start.
    private func entries(_ b: inout SQLBuilder, from joins: String, context: String?, categories: [String], stream: String?,
                         states: [FileState], limit: Int?) throws(CatalogError) -> [CatalogEntry] {
        let filter = b.streamFilter(context: context, categories: categories, stream: stream) + Self.stateFilter(states)
        b.sql = """
            \(Self.entryColumns)
            FROM \(joins)
            LEFT JOIN datasets ds ON ds.id = f.dataset_id
            \(Self.whereClause(filter))
            ORDER BY \(Self.streamOrder), f.start, f.id
            \(limit.map { "LIMIT \($0)" } ?? "")
            """
        let query = b.query
        return try catching { try rows(query).map(Self.entry) }
    }

    /// Report rows added up from the monthly rollups, grouped on the server.
    public func report(_ q: ReportQuery) throws(CatalogError) -> [ReportRow] {
        var b = SQLBuilder()
        let filter = b.streamFilter(context: q.context, categories: q.categories, stream: q.stream)
        let (key, group, order) = switch q.by {
        case .context: (#"c.name, ''::text, ''::text"#, "c.name", #"c.name COLLATE "C""#)
        case .category: (#"c.name, s.category, ''::text"#, "c.name, s.category", #"c.name COLLATE "C", s.category COLLATE "C""#)
        case .stream: (#"c.name, s.category, s.name"#, "c.name, s.category, s.name", Self.streamOrder)
        case .month: (#"m.month, ''::text, ''::text"#, "m.month", "m.month < 0, m.month")
        }
        b.sql = """
            SELECT \(key), sum(m.files)::bigint, sum(m.bytes)::bigint, min(m.oldest), max(m.newest),
                   sum(m.missing)::bigint, sum(m.deleted)::bigint
            FROM stream_months m JOIN streams s ON s.id = m.stream_id JOIN contexts c ON c.id = s.context_id
            \(Self.whereClause(filter))
            GROUP BY \(group) ORDER BY \(order)
            """
        return try catching {
            try rows(b.query).map { row in
                let r = PostgresRandomAccessRow(row)
                let group: [String: String]
                switch q.by {
                case .context: group = ["context": try r[0].decode(String.self)]
                case .category: group = ["context": try r[0].decode(String.self), "category": try r[1].decode(String.self)]
                case .stream:
                    group = ["context": try r[0].decode(String.self), "category": try r[1].decode(String.self), "stream": try r[2].decode(String.self)]
                case .month:
                    let m = try r[0].decode(Int.self)
                    group = ["month": m < 0 ? "none" : String(format: "%04d-%02d", m / 12, m % 12 + 1)]
                }
                return ReportRow(group: group, files: try r[3].decode(Int.self), bytes: try r[4].decode(Int64.self),
                                 oldest: try r[5].decode(Int64?.self).map(Instant.init(microseconds:)),
                                 newest: try r[6].decode(Int64?.self).map(Instant.init(microseconds:)),
                                 missing: try r[7].decode(Int.self), deleted: try r[8].decode(Int.self))
            }
        }
    }

    public func summary(context: String?) throws(CatalogError) -> [CategorySummary] {
        var b = SQLBuilder()
        let filter = b.streamFilter(context: context, categories: [], stream: nil)
        b.sql = """
            SELECT c.name, s.category, count(DISTINCT CASE WHEN m.files > 0 THEN s.id END),
                   sum(m.files)::bigint, sum(m.bytes)::bigint, sum(m.missing)::bigint, sum(m.deleted)::bigint, sum(m.errors)::bigint,
                   min(m.oldest), max(m.newest)
            FROM stream_months m JOIN streams s ON s.id = m.stream_id JOIN contexts c ON c.id = s.context_id
            \(Self.whereClause(filter))
            GROUP BY c.name, s.category ORDER BY c.name COLLATE "C", s.category COLLATE "C"
            """
        return try catching {
            try rows(b.query).map { row in
                let r = PostgresRandomAccessRow(row)
                return CategorySummary(context: try r[0].decode(String.self), category: try r[1].decode(String.self),
                                       streams: try r[2].decode(Int.self), files: try r[3].decode(Int.self), bytes: try r[4].decode(Int64.self),
                                       missing: try r[5].decode(Int.self), deleted: try r[6].decode(Int.self), errors: try r[7].decode(Int.self),
                                       earliest: try r[8].decode(Int64?.self).map(Instant.init(microseconds:)),
                                       latest: try r[9].decode(Int64?.self).map(Instant.init(microseconds:)))
            }
        }
    }

    /// The coverage runs the scanner keeps, every stream in one statement: per stream and
    /// kind, the index range from the last run to start at or before the window (OFFSET 0
    /// keeps it per stream: flattened, the planner scans every run, ten times slower).
    public func coverageRuns(_ q: CoverageQuery) throws(CatalogError) -> [StreamRuns] {
        var b = SQLBuilder()
        let from = q.from.microseconds, to = q.to.microseconds
        let lo = b.bind(from), hi = b.bind(to)
        var filter = b.streamFilter(context: q.context, categories: q.categories, stream: q.stream)
        // Streams whose files are all instants (modification times) have no extent to
        // cover anything; they are left out unless asked for by category or stream.
        if q.categories.isEmpty && q.stream == nil { filter.append("s.max_duration > 0") }
        // Each stream's runs come back as one value, (start, end) pairs of 8-byte integers in
        // the order the (stream, live, start) index gives them, which is checked here (an
        // ORDER BY in the aggregate cost the server a sort per stream): a year of a camera's
        // 30-second runs is 350,000 rows, which took the client 5 s to decode row by row.
        b.sql = """
            SELECT s.id, c.name, s.category, s.name, k.live, run.spans
            FROM streams s JOIN contexts c ON c.id = s.context_id CROSS JOIN (VALUES (1), (0)) AS k(live)
            LEFT JOIN LATERAL (
                SELECT string_agg(int8send(start) || int8send("end"), ''::bytea) AS spans FROM coverage_runs
                WHERE stream_id = s.id AND live = k.live AND start < \(hi) AND "end" > \(lo)
                  AND start >= coalesce((SELECT max(start) FROM coverage_runs WHERE stream_id = s.id AND live = k.live AND start <= \(lo)), \(lo))
            ) run ON true
            \(Self.whereClause(filter))
            ORDER BY \(Self.streamOrder), k.live DESC
            """
        return try catching {
            var out: [StreamRuns] = []
            var current: Int64?
            for row in try rows(b.query) {
                let r = PostgresRandomAccessRow(row)
                let id = try r[0].decode(Int64.self)
                if id != current {
                    current = id
                    out.append(StreamRuns(context: try r[1].decode(String.self), category: try r[2].decode(String.self),
                                          stream: try r[3].decode(String.self), live: [], gone: []))
                }
                guard var pairs = try r[5].decode(ByteBuffer?.self) else { continue }
                var spans: [Span] = []
                spans.reserveCapacity(pairs.readableBytes / 16)
                while let start = pairs.readInteger(as: Int64.self), let end = pairs.readInteger(as: Int64.self) {
                    spans.append(Span(max(start, from), min(end, to)))
                }
                if zip(spans, spans.dropFirst()).contains(where: { $0.start > $1.start }) { spans.sort { $0.start < $1.start } }
                if try r[4].decode(Int.self) == 1 { out[out.count - 1].live = spans } else { out[out.count - 1].gone = spans }
            }
            return out
        }
    }

    public func lastScans(context: String?, limit: Int) throws(CatalogError) -> [ScanRecord] {
        var b = SQLBuilder()
        let filter = b.streamFilter(context: context, categories: [], stream: nil)
        b.sql = """
            SELECT s.id, c.name, s.started, s.finished, s.status, s.files, s.errors
            FROM scans s JOIN contexts c ON c.id = s.context_id \(Self.whereClause(filter)) ORDER BY s.id DESC LIMIT \(max(0, limit))
            """
        return try catching {
            try rows(b.query).map { row in
                let r = PostgresRandomAccessRow(row)
                return ScanRecord(id: try r[0].decode(Int64.self), context: try r[1].decode(String.self),
                                  started: Instant(microseconds: try r[2].decode(Int64.self)),
                                  finished: try r[3].decode(Int64?.self).map(Instant.init(microseconds:)),
                                  status: ScanStatus(rawValue: try r[4].decode(String.self)) ?? .failed,
                                  files: try r[5].decode(Int?.self), errors: try r[6].decode(Int?.self))
            }
        }
    }

    public func policyRuns(context: String?, limit: Int) throws(CatalogError) -> [PolicyRunRecord] {
        var b = SQLBuilder()
        let filter = b.streamFilter(context: context, categories: [], stream: nil)
        b.sql = """
            SELECT p.id, c.name, p.policy, p.started, p.finished, p.status, p.planned, p.done, p.skipped, p.failed, p.bytes
            FROM policy_runs p JOIN contexts c ON c.id = p.context_id \(Self.whereClause(filter)) ORDER BY p.id DESC LIMIT \(max(0, limit))
            """
        return try catching {
            try rows(b.query).map { row in
                let r = PostgresRandomAccessRow(row)
                return PolicyRunRecord(id: try r[0].decode(Int64.self), context: try r[1].decode(String.self), policy: try r[2].decode(String.self),
                                       started: Instant(microseconds: try r[3].decode(Int64.self)),
                                       finished: try r[4].decode(Int64?.self).map(Instant.init(microseconds:)),
                                       status: PolicyRunStatus(rawValue: try r[5].decode(String.self)) ?? .faults,
                                       planned: try r[6].decode(Int.self), done: try r[7].decode(Int.self), skipped: try r[8].decode(Int.self),
                                       failed: try r[9].decode(Int.self), bytes: try r[10].decode(Int64.self))
            }
        }
    }

    public func journal(since: Int64, limit: Int) throws(CatalogError) -> [JournalRecord] {
        try catching {
            try rows("""
                SELECT id, run_id, file_id, action, rule, size, intended, result, detail FROM journal WHERE id > \(since) AND file_id IS NOT NULL ORDER BY id LIMIT \(max(0, limit))
                """).map { row in
                let r = PostgresRandomAccessRow(row)
                return JournalRecord(id: try r[0].decode(Int64.self), run: try r[1].decode(Int64.self), fileId: try r[2].decode(Int64.self),
                                     action: try r[3].decode(String.self), rule: try r[4].decode(String.self), size: try r[5].decode(Int64.self),
                                     intended: Instant(microseconds: try r[6].decode(Int64.self)),
                                     result: try r[7].decode(String?.self).flatMap(JournalResult.init(rawValue:)), detail: try r[8].decode(String?.self))
            }
        }
    }

    // MARK: - Shared pieces

    /// Context, category and stream order, bytewise as on SQLite.
    static let streamOrder = #"c.name COLLATE "C", s.category COLLATE "C", s.name COLLATE "C""#

    /// The columns `entry` reads, in its order.
    static let entryColumns = """
        SELECT r.path, d.path, f.name, c.name, s.category, s.name, ds.name, f.size, f.start, f."end",
               f.source, f.state, f.gone_at, f.error, f.gone_scan, f.gone_run, f.notes
        """

    static func stateFilter(_ states: [FileState]) -> [String] {
        states.isEmpty ? [] : ["f.state IN (\(states.map { String($0.rawValue) }.joined(separator: ",")))"]
    }

    static func whereClause(_ conditions: [String]) -> String {
        conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }

    /// A query row of `entryColumns` as an entry, as the SQLite adapter builds it.
    static func entry(_ row: PostgresRow) throws -> CatalogEntry {
        let r = PostgresRandomAccessRow(row)
        let root = try r[0].bytes(), dir = try r[1].bytes(), name = try r[2].bytes()
        let start = try r[8].decode(Int64?.self), end = try r[9].decode(Int64?.self)
        var e = CatalogEntry(
            path: (dir.isEmpty ? root : root.appendingComponent(dir)).appendingComponent(name),
            context: try r[3].decode(String.self), category: try r[4].decode(String.self), stream: try r[5].decode(String.self),
            dataset: try r[6].decode(String?.self), size: try r[7].decode(Int64.self),
            coverage: start.map { Coverage(start: Instant(microseconds: $0), end: Instant(microseconds: end ?? $0)) },
            source: TimeSource(code: try r[10].decode(Int.self)) ?? .mtime, state: FileState(rawValue: try r[11].decode(Int.self)) ?? .live,
            goneAt: try r[12].decode(Int64?.self).map(Instant.init(microseconds:)), error: try r[13].decode(String?.self))
        if let scan = try r[14].decode(Int64?.self), e.state == .missing { e.goneBy = "scan \(scan)" }
        if let run = try r[15].decode(Int64?.self), e.state == .deleted || e.state == .purged { e.goneBy = "policy run \(run)" }
        e.notes = try r[16].decode(String?.self)
        return e
    }
}

extension PostgresCell {
    /// A bytea cell's bytes.
    func bytes() throws -> [UInt8] { Array(try decode(ByteBuffer.self).readableBytesView) }
}

/// SQL text with its parameters (`$1`, `$2`, …) bound as it is built.
struct SQLBuilder {
    var sql = ""
    var binds = PostgresBindings()

    /// Binds `value` and returns its placeholder.
    mutating func bind<T: PostgresDynamicTypeEncodable>(_ value: T) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// The conditions limiting a query to a context, categories and a stream, over the
    /// aliases `c` (contexts) and `s` (streams).
    mutating func streamFilter(context: String?, categories: [String], stream: String?) -> [String] {
        var conditions: [String] = []
        if let context { conditions.append("c.name = \(bind(context))") }
        if !categories.isEmpty { conditions.append("s.category IN (\(categories.map { bind($0) }.joined(separator: ",")))") }
        if let stream { conditions.append("s.name = \(bind(stream))") }
        return conditions
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
