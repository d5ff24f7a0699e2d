/// The scan's store: what `Scanner` needs of a catalog, and nothing else.
///
/// Three parts, each used by its own threads: every walker compares its directories with the
/// catalog through a `DirectoryLookup` of its own (one connection each); one `ScanBatchWriter`
/// applies the differences in batches and finishes the scan (tombstones for directories not
/// reached, stream runs and rollups, dataset ranges, the scan's record); and the context's
/// lock (`RunLocking`) keeps a second scan of the context, or a policy run on it, out.
public protocol ScanStore: RunLocking, CatalogListing {
    /// Every root the catalog records, of every context, for admitting a scan's roots.
    func knownRoots() throws(CatalogError) -> [KnownRoot]
    /// Marks the context's scans still `running` as interrupted: called with the context's
    /// lock held, when no scan of it can be alive, so those were killed.
    func interruptKilledScans(context: String) throws(CatalogError)
    /// Records the start of a scan: the context, its admitted roots and a `running` scan.
    func beginScan(context: ContextDefinition, roots: [AdmittedRoot], explicit: Bool, started: Instant) throws(CatalogError) -> ScanSession
    /// Counts a strike for each file a dead scan was reading a header of, and returns every
    /// suspect with its strikes (a file changed since counts from one again).
    func strikeSuspects(_ inFlight: Set<InFlightRead>) throws(CatalogError) -> [PathBytes: ReadingSuspect]
    /// Forgets suspects whose header was read without the scan dying.
    func clearSuspects(_ paths: [PathBytes]) throws(CatalogError)
    /// Where, on this host, the crash guard's record of a scan of `context` lives.
    func readingRecordPath(context: String) -> String
    /// A lookup for one walker thread (only that thread uses it).
    func makeLookup() throws(CatalogError) -> any DirectoryLookup
    /// The one writer of a scan.
    func makeWriter(_ session: ScanSession) throws(CatalogError) -> any ScanBatchWriter
}

/// One walker's view of the catalog: a directory's catalogued files, in name order (bytes,
/// then length, as both stores order blobs and `bytea`).
public protocol DirectoryLookup: AnyObject {
    associatedtype Cursor: CatalogCursor
    /// Runs `body` with a cursor on the first of the directory's files (`dirId` nil when the
    /// catalog does not know the directory).
    func directory<T>(root: Int64, relative: PathBytes, _ body: (inout Cursor) throws(CatalogError) -> T) throws(CatalogError) -> T
}

/// A directory's catalogued files, one at a time.
public protocol CatalogCursor {
    /// The directory's row, nil when the catalog does not know it.
    var dirId: Int64? { get }
    /// False once every file was passed.
    var onRow: Bool { get }
    /// Moves to the next file.
    mutating func advance() throws(CatalogError)
    /// The current file's name compared with `name`: negative when it sorts first.
    func compareName(_ name: PathBytes) -> Int
    /// The current file's row id.
    var id: Int64 { get }
    /// The current file's state.
    var state: FileState { get }
    /// The current file's name.
    var name: PathBytes { get }
    /// Same file, same content as far as metadata can tell (see `CatalogedFile.isUnchanged`).
    func isUnchanged(_ s: FileStat) -> Bool
    /// The current file, copied out.
    var file: CatalogedFile { get }
}

/// The single writer of one scan; one thread uses it at a time (handed from the scan to its
/// writer thread and back, hence `Sendable`).
public protocol ScanBatchWriter: AnyObject, Sendable {
    /// Notes directories a walker listed whole, so that their absence is not taken for deletion.
    func visited(_ dirIds: [Int64])
    /// Writes a batch of directory changes in one transaction.
    func apply(_ batch: [DirectoryChanges]) throws(CatalogError)
    /// Completes a walk that reached every directory it could: files of catalogued
    /// directories not reached become `missing` (except below `unreadable` ones, relative to
    /// each root index), name coverage is clipped, streams' runs and rollups and datasets'
    /// ranges recomputed, the definition's fingerprint recorded. `missing` hears of each file
    /// so marked (root index, path relative to the root). Returns how many were.
    func finish(report: ScanReport, unreadable: [Int: [PathBytes]], context: ContextDefinition, readers: Int,
                missing: ((Int, PathBytes) -> Void)?) throws(CatalogError) -> Int
    /// Writes the scan's own record: its counts, status and the errors met.
    func record(report: ScanReport, status: ScanStatus) throws(CatalogError)
}

/// A root as the catalog records it, for admitting a scan's roots.
public struct KnownRoot: Sendable {
    public var id: Int64
    public var context: String
    public var path: PathBytes
    /// nil for a root catalogued before identities were kept.
    public var identity: RootIdentity?

    public init(id: Int64, context: String, path: PathBytes, identity: RootIdentity?) {
        self.id = id; self.context = context; self.path = path; self.identity = identity
    }
}

/// A file whose header a dead scan was reading: its path, and its size and mtime then.
public struct InFlightRead: Hashable, Sendable {
    public var path: PathBytes
    public var size: Int64
    public var mtimeNanoseconds: Int64

    public init(path: PathBytes, size: Int64, mtimeNanoseconds: Int64) {
        self.path = path; self.size = size; self.mtimeNanoseconds = mtimeNanoseconds
    }
}

/// A file suspected of killing scans: strikes count while it stays as it was.
public struct ReadingSuspect: Sendable {
    public var strikes: Int
    public var size: Int64
    public var mtime: Int64

    public init(strikes: Int, size: Int64, mtime: Int64) { self.strikes = strikes; self.size = size; self.mtime = mtime }
}
