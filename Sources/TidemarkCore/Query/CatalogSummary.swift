import GRDB

/// What the catalog holds for one context and category: the short answer after a scan.
public struct CategorySummary: Sendable, Encodable {
    public var context: String
    public var category: String
    public var streams: Int
    public var files: Int
    public var bytes: Int64
    public var missing: Int
    public var deleted: Int
    public var errors: Int
    public var earliest: Instant?
    public var latest: Instant?

    enum CodingKeys: String, CodingKey { case context, category, streams, files, bytes, missing, deleted, errors, earliest, latest }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(context, forKey: .context); try c.encode(category, forKey: .category)
        try c.encode(streams, forKey: .streams); try c.encode(files, forKey: .files); try c.encode(bytes, forKey: .bytes)
        try c.encode(missing, forKey: .missing); try c.encode(deleted, forKey: .deleted); try c.encode(errors, forKey: .errors)
        try c.encode(earliest?.iso8601, forKey: .earliest); try c.encode(latest?.iso8601, forKey: .latest)
    }
}

extension SQLiteCatalog {
    /// Live files, bytes and coverage span per context and category, with tombstone counts.
    public func summary(context: String? = nil) throws(CatalogError) -> [CategorySummary] {
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
