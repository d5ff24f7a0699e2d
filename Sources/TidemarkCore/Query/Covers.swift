import Foundation
import GRDB

/// "What data covers this time?": files whose coverage overlaps a window.
public struct CoversQuery: Sendable {
    public var window: TimeWindow
    public var context: String?
    public var categories: [String] = []
    public var stream: String?
    /// States to list; empty means every state.
    public var states: [FileState] = [.live]
    /// Include tombstones: files found missing, or deleted or purged by Tidemark.
    public var includeGone: Bool {
        get { states.isEmpty }
        set { states = newValue ? [] : [.live] }
    }
    public var limit: Int?

    public init(window: TimeWindow) { self.window = window }
}

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
