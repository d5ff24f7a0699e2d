/// A file's time coverage: the half-open UTC interval `[start, end)` it holds data for.
/// `start == end` is an instant (a single exposure time, or a modification time).
public struct Coverage: Sendable, Equatable, CustomStringConvertible {
    public var start: Instant
    public var end: Instant

    public init(start: Instant, end: Instant) {
        self.start = start
        self.end = max(start, end)
    }

    public var description: String { "[\(start.iso8601), \(end.iso8601))" }
}

/// What a reader found in one file: a coverage, or nothing it knows of, plus notes
/// (disagreements between sources, unknown time systems) worth keeping.
public struct CoverageReading: Sendable {
    public var coverage: Coverage?
    public var notes: [String] = []

    public init(coverage: Coverage?, notes: [String] = []) {
        self.coverage = coverage; self.notes = notes
    }
}

/// A file to read the time coverage of.
public struct CoverageInput: Sendable {
    /// Absolute path.
    public var path: PathBytes
    public var stat: FileStat
    public var classification: Classification
    /// The open directory holding the file and its name there, when the walker has it
    /// open: readers open the file relative to it (no walk of the whole path again).
    public var directory: (descriptor: Int32, name: PathBytes)?

    public init(path: PathBytes, stat: FileStat, classification: Classification, directory: (descriptor: Int32, name: PathBytes)? = nil) {
        self.path = path; self.stat = stat; self.classification = classification; self.directory = directory
    }
}

/// Reads time coverage from one kind of source (a header format).
///
/// `read` returns nil coverage when the file holds no time this reader knows of, and
/// throws when the file is not readable as this format (truncated, corrupt, not it).
public protocol CoverageReader: Sendable {
    var source: TimeSource { get }
    /// True when the first bytes of a file say it is this reader's format.
    func recognizes(magic: [UInt8], path: PathBytes) -> Bool
    func read(_ input: CoverageInput) throws -> CoverageReading
}
