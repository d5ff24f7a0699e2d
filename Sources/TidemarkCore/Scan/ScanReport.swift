/// What a scan found, for people (`scan` summary) and scripts (`scan --json`).
public struct ScanReport: Sendable, Codable {
    public var context: String = ""
    public var roots: [String] = []
    /// Regular files seen on disk in this scan.
    public var files = 0
    public var new = 0
    public var changed = 0
    public var unchanged = 0
    /// Catalogued files found gone in this scan (now `missing` tombstones).
    public var missing = 0
    /// Files that were `missing` and are back.
    public var revived = 0
    /// Entries that could not be read: unreadable directories, failed stats, unreadable headers.
    public var errors = 0
    public var bytes: Int64 = 0
    public var directories = 0
    public var symlinksSkipped = 0
    public var seconds = 0.0
    public var problems: [Problem] = []
    /// What a person should know about the roots: one given twice, one made stale.
    public var notes: [String] = []
    /// Where the time went (`scan --json` shows it as `phases`).
    public var phases = ScanPhases()
    /// Suspects (files a dead scan was reading) whose header was read this time.
    var readSuspects: [PathBytes] = []

    public struct Problem: Sendable, Codable {
        public var path: PathBytes
        public var message: String

        enum CodingKeys: String, CodingKey { case path, path_bytes, message }
        public init(path: PathBytes, message: String) { self.path = path; self.message = message }
        /// `path_bytes` (hex) only when `path` cannot show the bytes exactly, as `find --json` does.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(path.displayPath, forKey: .path)
            if !path.isPlainText { try c.encode(path.hexBytes, forKey: .path_bytes) }
            try c.encode(message, forKey: .message)
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decodeIfPresent(String.self, forKey: .path_bytes).flatMap { PathBytes(hexBytes: $0) }
                ?? c.decode(String.self, forKey: .path).pathBytes
            message = try c.decode(String.self, forKey: .message)
        }
    }

    public init() {}

    mutating func merge(_ o: ScanReport) {
        files += o.files; new += o.new; changed += o.changed; unchanged += o.unchanged
        missing += o.missing; revived += o.revived; errors += o.errors; bytes += o.bytes
        directories += o.directories
        problems += o.problems
        readSuspects += o.readSuspects
        phases.lookup.workerSeconds = (phases.lookup.workerSeconds ?? 0) + (o.phases.lookup.workerSeconds ?? 0)
        phases.classify.workerSeconds = (phases.classify.workerSeconds ?? 0) + (o.phases.classify.workerSeconds ?? 0)
    }
}
