import Foundation
import GRDB

/// Filters for `find`: every field narrows the result; nil or empty means any.
public struct FindQuery: Sendable {
    public var context: String?
    public var categories: [String] = []
    public var stream: String?
    /// Coverage overlapping `[from, to)`; an instant coverage counts when inside it.
    public var from: Instant?
    public var to: Instant?
    /// States to list; empty means every state.
    public var states: [FileState] = [.live]
    public var limit: Int?

    public init() {}
}

extension SQLiteCatalog {
    /// Catalogued files matching `query`, ordered by context, category, stream and start.
    public func find(_ q: FindQuery) throws(CatalogError) -> [CatalogEntry] {
        // With a time bound, find is covers: the indexed overlap search.
        if q.from != nil || q.to != nil {
            var c = CoversQuery(window: TimeWindow(begin: q.from, end: q.to))
            c.context = q.context
            c.categories = q.categories
            c.stream = q.stream
            c.states = q.states
            c.limit = q.limit
            return try covers(c)
        }
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
