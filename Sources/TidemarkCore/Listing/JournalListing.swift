/// A journal entry as `/api/journal` lists it: `result` null while the action is open.
public struct JournalListing: Sendable, Encodable {
    public let record: JournalRecord

    /// The entry as the store reads it.
    public init(_ record: JournalRecord) { self.record = record }

    private enum CodingKeys: String, CodingKey { case id, run, file_id, action, rule, size, intended, result, detail }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(record.id, forKey: .id); try c.encode(record.run, forKey: .run); try c.encode(record.fileId, forKey: .file_id)
        try c.encode(record.action, forKey: .action); try c.encode(record.rule, forKey: .rule); try c.encode(record.size, forKey: .size)
        try c.encode(record.intended.iso8601, forKey: .intended); try c.encode(record.result?.rawValue, forKey: .result)
        try c.encode(record.detail, forKey: .detail)
    }
}
