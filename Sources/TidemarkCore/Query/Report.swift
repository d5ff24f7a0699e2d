import Foundation
import GRDB

/// The `du` of the archive by meaning: counts, bytes and coverage span per group.
public struct ReportQuery: Sendable {
    public enum Grouping: String, Sendable, CaseIterable { case context, category, stream, month }

    public var by: Grouping = .category
    public var context: String?
    public var categories: [String] = []
    public var stream: String?

    public init() {}
}

public struct ReportRow: Sendable, Encodable {
    /// The group: context; context and category; context, category and stream; or month (`2017-05`).
    public var group: [String: String]
    public var files = 0
    public var bytes: Int64 = 0
    public var oldest: Instant?
    public var newest: Instant?
    public var missing = 0
    /// Deleted or purged by Tidemark.
    public var deleted = 0

    init(group: [String: String]) { self.group = group }

    /// All rows added up (the group is empty).
    public static func total(_ rows: [ReportRow]) -> ReportRow {
        var t = ReportRow(group: [:])
        for r in rows { t.merge(r) }
        return t
    }

    enum CodingKeys: String, CodingKey { case group, files, bytes, oldest, newest, missing, deleted }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        try c.encode(files, forKey: .files)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(oldest?.iso8601, forKey: .oldest)
        try c.encode(newest?.iso8601, forKey: .newest)
        try c.encode(missing, forKey: .missing)
        try c.encode(deleted, forKey: .deleted)
    }

    mutating func merge(_ o: ReportRow) {
        files += o.files; bytes += o.bytes; missing += o.missing; deleted += o.deleted
        if let t = o.oldest { oldest = min(oldest ?? t, t) }
        if let t = o.newest { newest = max(newest ?? t, t) }
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
