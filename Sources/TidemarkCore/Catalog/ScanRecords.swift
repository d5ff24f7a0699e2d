/// A file as the catalog last saw it: enough to tell whether it changed.
public struct CatalogedFile: Sendable {
    public var id: Int64
    public var name: PathBytes
    public var stat: FileStat
    public var state: FileState

    public init(id: Int64, name: PathBytes, stat: FileStat, state: FileState) { self.id = id; self.name = name; self.stat = stat; self.state = state }

    /// Same file, same content as far as metadata can tell (a rewrite with its mtime put
    /// back still moves the ctime).
    public func isUnchanged(_ s: FileStat) -> Bool {
        stat.size == s.size && stat.mtimeNanoseconds == s.mtimeNanoseconds && stat.inode == s.inode && stat.device == s.device
            && stat.ctimeNanoseconds == s.ctimeNanoseconds
    }
}

/// What a file means: its category, stream and dataset. Files of a directory mostly
/// share one, so the writer resolves each meaning once per directory, not once per file.
public struct Meaning: Sendable, Hashable {
    public var category: String
    public var stream: String
    public var dataset: String?
}

/// Everything the scanner decided about one file that is new or changed.
public struct ScannedFile: Sendable {
    public var name: PathBytes
    public var stat: FileStat
    /// Index into the directory's `meanings`.
    public var meaning: Int
    public var coverage: Coverage?
    public var source: TimeSource
    public var error: String?
    public var notes: String?
}

/// One directory's worth of changes for the writer.
public struct DirectoryChanges: Sendable {
    public var root: Int
    public var relative: PathBytes
    public var dirId: Int64?
    public var meanings: [Meaning] = []
    public var inserts: [ScannedFile] = []
    /// Changed files with the row as the scan read it: written only if the row is still so.
    public var updates: [(was: CatalogedFile, file: ScannedFile)] = []
    public var revived: [Int64] = []
    public var missing: [Int64] = []

    /// The index of `m` in `meanings`, added if new (the last one is checked first).
    mutating func index(of m: Meaning) -> Int {
        if let last = meanings.last, last == m { return meanings.count - 1 }
        if let i = meanings.firstIndex(of: m) { return i }
        meanings.append(m)
        return meanings.count - 1
    }

    public var isEmpty: Bool { inserts.isEmpty && updates.isEmpty && revived.isEmpty && missing.isEmpty }
    public var count: Int { inserts.count + updates.count + revived.count + missing.count }
}

/// What `beginScan` learnt and set up.
public struct ScanSession: Sendable {
    public var scanId: Int64
    public var contextId: Int64
    public var rootIds: [Int64]
    /// The definition changed since the last scan: classify every file anew.
    public var reclassify: Bool
    /// The last scan did not finish: recompute derived coverage for the whole context.
    public var finalizeAll: Bool
    public var started: Instant

    public init(scanId: Int64, contextId: Int64, rootIds: [Int64], reclassify: Bool, finalizeAll: Bool, started: Instant) {
        self.scanId = scanId; self.contextId = contextId; self.rootIds = rootIds; self.reclassify = reclassify
        self.finalizeAll = finalizeAll; self.started = started
    }
}
