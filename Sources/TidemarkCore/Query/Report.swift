import Foundation

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

    /// A row as a store adds it up.
    public init(group: [String: String], files: Int, bytes: Int64, oldest: Instant?, newest: Instant?, missing: Int, deleted: Int) {
        self.group = group; self.files = files; self.bytes = bytes; self.oldest = oldest; self.newest = newest
        self.missing = missing; self.deleted = deleted
    }

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
