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

    /// Counts live files (with their bytes and span) and tombstones separately.
    mutating func add(state: Int64, size: Int64, start: Int64?, end: Int64?) {
        switch state {
        case 0:
            files += 1
            bytes += size
            if let start { oldest = min(oldest ?? Instant(microseconds: start), Instant(microseconds: start)) }
            if let end { newest = max(newest ?? Instant(microseconds: end), Instant(microseconds: end)) }
        case 1: missing += 1
        default: deleted += 1
        }
    }

    mutating func merge(_ o: ReportRow) {
        files += o.files; bytes += o.bytes; missing += o.missing; deleted += o.deleted
        if let t = o.oldest { oldest = min(oldest ?? t, t) }
        if let t = o.newest { newest = max(newest ?? t, t) }
    }
}

extension SQLiteCatalog {
    /// Report rows ordered by group. By month, files count in the month their coverage starts.
    public func report(_ q: ReportQuery) throws(CatalogError) -> [ReportRow] {
        var filter: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let c = q.context { filter.append("c.name = ?"); args.append(c) }
        if !q.categories.isEmpty {
            filter.append("s.category IN (\(q.categories.map { _ in "?" }.joined(separator: ",")))")
            args += q.categories
        }
        if let s = q.stream { filter.append("s.name = ?"); args.append(s) }
        let whereStreams = filter.isEmpty ? "" : "WHERE " + filter.joined(separator: " AND ")
        return try read { db in
            let streams = try Row.fetchAll(db, sql: """
                SELECT s.id, c.name, s.category, s.name FROM streams s JOIN contexts c ON c.id = s.context_id \(whereStreams)
                """, arguments: StatementArguments(args))
            if q.by == .month { return try monthly(db, streams: streams.map { $0[0] }) }
            // Per stream in SQL (its index gives the rows grouped), then per group here.
            let perStream = FastStatement(try db.cachedStatement(sql: """
                SELECT sum(state = 0), coalesce(sum(CASE WHEN state = 0 THEN size END), 0),
                       min(CASE WHEN state = 0 THEN start END), max(CASE WHEN state = 0 THEN "end" END),
                       sum(state = 1), sum(state >= 2), count(*)
                FROM files WHERE stream_id = ?1
                """))
            var rows: [String: ReportRow] = [:]
            for s in streams {
                let (context, category, stream): (String, String, String) = (s[1], s[2], s[3])
                var r = ReportRow(group: [:])
                perStream.bind(1, s[0] as Int64)
                try perStream.forEachRow { x in
                    guard x.int64(6) > 0 else { return }
                    r.files = Int(x.int64(0)); r.bytes = x.int64(1)
                    if !x.isNull(2) { r.oldest = Instant(microseconds: x.int64(2)) }
                    if !x.isNull(3) { r.newest = Instant(microseconds: x.int64(3)) }
                    r.missing = Int(x.int64(4)); r.deleted = Int(x.int64(5))
                }
                let group: [String: String] = switch q.by {
                case .context: ["context": context]
                case .category: ["context": context, "category": category]
                default: ["context": context, "category": category, "stream": stream]
                }
                r.group = group
                let key = ["context", "category", "stream"].compactMap { group[$0] }.joined(separator: "\u{0}")
                if var existing = rows[key] { existing.merge(r); rows[key] = existing } else { rows[key] = r }
            }
            return rows.sorted { $0.key < $1.key }.map(\.value)
        }
    }

    /// One pass over the files, each counted in the UTC month its coverage starts.
    private func monthly(_ db: Database, streams: [Int64]) throws -> [ReportRow] {
        let wanted = Set(streams)
        let all = try Int64.fetchOne(db, sql: "SELECT count(*) FROM streams")! == Int64(wanted.count)
        let stmt = FastStatement(try db.cachedStatement(sql: "SELECT stream_id, start, \"end\", size, state FROM files"))
        var months: [Int: ReportRow] = [:]
        var undated = ReportRow(group: ["month": "none"])
        try stmt.forEachRow { x in
            guard all || wanted.contains(x.int64(0)) else { return }
            let start: Int64? = x.isNull(1) ? nil : x.int64(1)
            let end: Int64? = x.isNull(2) ? nil : x.int64(2)
            guard let start else { undated.add(state: x.int64(4), size: x.int64(3), start: nil, end: nil); return }
            let c = Instant(microseconds: start).civil
            months[c.year * 12 + c.month - 1, default: ReportRow(group: [:])].add(state: x.int64(4), size: x.int64(3), start: start, end: end)
        }
        var out = months.sorted { $0.key < $1.key }.map { key, row in
            var r = row
            r.group = ["month": String(format: "%04d-%02d", key / 12, key % 12 + 1)]
            return r
        }
        if undated.files + undated.missing + undated.deleted > 0 { out.append(undated) }
        return out
    }
}
