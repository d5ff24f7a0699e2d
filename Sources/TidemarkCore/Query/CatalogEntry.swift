import Foundation

/// One catalogued file as queries return it.
public struct CatalogEntry: Sendable, Encodable {
    public var path: PathBytes
    public var context: String
    public var category: String
    public var stream: String
    public var dataset: String?
    public var size: Int64
    public var coverage: Coverage?
    public var source: TimeSource
    public var state: FileState
    /// When a scan found it gone, or Tidemark removed it.
    public var goneAt: Instant?
    /// What found it gone or removed it: `scan 12`, `policy run 3`.
    public var goneBy: String?
    public var error: String?
    /// What header readers said of the file.
    public var notes: String?

    public init(path: PathBytes, context: String, category: String, stream: String, dataset: String? = nil, size: Int64,
                coverage: Coverage? = nil, source: TimeSource, state: FileState, goneAt: Instant? = nil, error: String? = nil) {
        self.path = path; self.context = context; self.category = category; self.stream = stream; self.dataset = dataset
        self.size = size; self.coverage = coverage; self.source = source; self.state = state; self.goneAt = goneAt; self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case path, path_bytes, context, category, stream, dataset, size, start, end, source, state, gone_at, gone_by, error, notes
    }

    /// The JSON contract: ISO 8601 UTC times with `Z` or null; `path_bytes` (hex) only
    /// when the path is not plain UTF-8 text.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path.displayPath, forKey: .path)
        if !path.isPlainText { try c.encode(path.hexBytes, forKey: .path_bytes) }
        try c.encode(context, forKey: .context)
        try c.encode(category, forKey: .category)
        try c.encode(stream, forKey: .stream)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(size, forKey: .size)
        try c.encode(coverage?.start.iso8601, forKey: .start)
        try c.encode(coverage?.end.iso8601, forKey: .end)
        try c.encode(source.rawValue, forKey: .source)
        try c.encode(state.name, forKey: .state)
        try c.encode(goneAt?.iso8601, forKey: .gone_at)
        try c.encode(goneBy, forKey: .gone_by)
        try c.encode(error, forKey: .error)
        try c.encode(notes, forKey: .notes)
    }
}
