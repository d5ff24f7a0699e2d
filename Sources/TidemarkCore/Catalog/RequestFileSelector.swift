import GRDB

/// Selects the files of many requests within one transaction, as `selectFiles` does for one.
///
/// The direct query seeks the coverage index once per stream of the request's categories;
/// with hundreds of streams, each holding a few weeks of a many-year archive, nearly every
/// seek finds nothing. Here each stream's first and last start are read once (two index
/// seeks) for the whole batch, and a request's query visits only the streams whose index
/// range (start from `lo - max_duration` to `hi`) can hold a file: the same rows, in the
/// same order, as the direct query. A batch of one request takes the direct query, which
/// costs it half the seeks. Use it only inside the transaction that owns `db`.
struct RequestFileSelector {
    private let db: Database
    private let direct: Bool
    /// The dated streams of each context and category, with their bounds.
    private var streams: [String: [Bounds]] = [:]

    private struct Bounds {
        let id: Int64, name: String, maxDuration: Int64, first: Int64, last: Int64
    }

    /// A selector for a batch of `requests` requests to read files for.
    init(_ db: Database, requests: Int) { self.db = db; direct = requests < 2 }

    /// The files `spec` selects, ordered by category, stream, start and id.
    mutating func files(_ spec: RequestSpec) throws -> [RequestedFile] {
        if direct { return try SQLiteCatalog.selectFiles(db, spec) }
        let lo = spec.window.lo, hi = spec.window.hi
        var candidates: [Int64] = []
        for category in Set(spec.categories) {
            for s in try bounds(context: spec.context, category: category) where spec.stream == nil || s.name == spec.stream {
                let (reach, overflow) = lo.subtractingReportingOverflow(s.maxDuration)
                if s.first <= hi && s.last >= (overflow ? Int64.min : reach) { candidates.append(s.id) }
            }
        }
        guard !candidates.isEmpty else { return [] }
        let overlap = spec.window.isInstant
            ? "f.start <= ?2 AND (f.\"end\" > ?1 OR (f.start = f.\"end\" AND f.start = ?1))"
            : "f.start < ?2 AND (f.\"end\" > ?1 OR (f.start = f.\"end\" AND f.start >= ?1))"
        let statement = try db.cachedStatement(sql: """
            SELECT \(SQLiteCatalog.fileColumns), dep.id, dep.state
            FROM json_each(?3) j JOIN streams s ON s.id = j.value
            CROSS JOIN files f ON f.stream_id = s.id AND f.start >= ?1 - s.max_duration AND \(overlap)
            JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            LEFT JOIN dependents dep ON dep.file_id = f.id
            ORDER BY s.category, s.name, f.start, f.id
            """)
        let list = "[" + candidates.map(String.init).joined(separator: ",") + "]"
        return try Row.fetchAll(statement, arguments: [lo, hi, list]).map(SQLiteCatalog.requestedFileWithDependent)
    }

    /// The streams of `category` in `context` that hold a dated file, read once.
    private mutating func bounds(context: String, category: String) throws -> [Bounds] {
        let key = context + "\u{0}" + category
        if let known = streams[key] { return known }
        let found = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT s.id, s.name, s.max_duration,
                   (SELECT min(f.start) FROM files f WHERE f.stream_id = s.id), (SELECT max(f.start) FROM files f WHERE f.stream_id = s.id)
            FROM streams s JOIN contexts c ON c.id = s.context_id WHERE c.name = ? AND s.category = ?
            """), arguments: [context, category]).compactMap { r -> Bounds? in
            guard let first = r[3] as Int64?, let last = r[4] as Int64? else { return nil }
            return Bounds(id: r[0], name: r[1], maxDuration: r[2], first: first, last: last)
        }
        streams[key] = found
        return found
    }
}
