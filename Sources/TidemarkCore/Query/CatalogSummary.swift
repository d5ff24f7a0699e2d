
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

    public init(context: String, category: String, streams: Int, files: Int, bytes: Int64, missing: Int, deleted: Int, errors: Int,
                earliest: Instant? = nil, latest: Instant? = nil) {
        self.context = context; self.category = category; self.streams = streams; self.files = files; self.bytes = bytes
        self.missing = missing; self.deleted = deleted; self.errors = errors; self.earliest = earliest; self.latest = latest
    }

    enum CodingKeys: String, CodingKey { case context, category, streams, files, bytes, missing, deleted, errors, earliest, latest }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(context, forKey: .context); try c.encode(category, forKey: .category)
        try c.encode(streams, forKey: .streams); try c.encode(files, forKey: .files); try c.encode(bytes, forKey: .bytes)
        try c.encode(missing, forKey: .missing); try c.encode(deleted, forKey: .deleted); try c.encode(errors, forKey: .errors)
        try c.encode(earliest?.iso8601, forKey: .earliest); try c.encode(latest?.iso8601, forKey: .latest)
    }
}
