/// A store plans are made from: everything a planner reads comes from one snapshot.
public protocol PlanningStore: CatalogListing {
    /// Runs `body` over one consistent read of the catalog: writes committed meanwhile (a
    /// scan, another run) are not seen, so one plan never mixes two states of the catalog.
    /// The snapshot is valid only inside `body`. Errors of the store, thrown inside or out,
    /// come out as `CatalogError`.
    func withSnapshot<T>(_ body: (any PlanningSnapshot) throws -> T) throws(CatalogError) -> T
}

/// What a planner reads, within one consistent read (see `PlanningStore.withSnapshot`).
/// Only live files; each read limited to `scope`'s roots where it takes one.
public protocol PlanningSnapshot {
    /// The streams of some categories of a context, by id.
    func streams(context: Int64, categories: [String]) throws -> [Int64: StreamName]
    /// The `keep` newest live files (by coverage start, then id) of each stream, among those
    /// starting by `startBy` (a future-dated name is not the newest real file).
    func newest(streams: [Int64], keep: Int, startBy: Instant, scope: RootScope) throws -> Set<Int64>
    /// Live files of `streams` starting after `after`: how many, and the latest of them.
    func futureFiles(streams: [Int64], after: Instant, scope: RootScope) throws -> (count: Int, latest: FileName?)
    /// Live files of `streams` with a coverage that pass `filter`, oldest first (by start,
    /// end, id); `body` returns false to stop.
    func candidates(streams: [Int64], _ filter: CandidateFilter, _ body: (Candidate) throws -> Bool) throws
    /// Every live file of a dataset, oldest first; nil for a member without a coverage.
    func members(dataset: Int64, scope: RootScope) throws -> [Candidate?]
    /// A directory's root and its path relative to the root.
    func directory(_ id: Int64) throws -> (root: Int64, path: PathBytes)?
    /// A dataset's name.
    func datasetName(_ id: Int64) throws -> String?
    /// Files with an open journal intent: an interrupted run may have removed them already.
    func openJournalFiles() throws -> Set<Int64>
    /// Files pinned at `now` by requests (not full, or full and within their grace; not
    /// faulted by the user), each with the lowest-numbered request that pins it.
    func pinnedFiles(at now: Instant) throws -> [Int64: Int64]
}

/// A stream's category and name.
public struct StreamName: Sendable, Hashable {
    public var category: String
    public var name: String

    public init(category: String, name: String) { self.category = category; self.name = name }
}

/// A catalogued file's directory and name.
public struct FileName: Sendable, Hashable {
    public var directory: Int64
    public var name: PathBytes

    public init(directory: Int64, name: PathBytes) { self.directory = directory; self.name = name }
}

/// Which candidates a read returns, beyond live files of the streams with a coverage.
public struct CandidateFilter: Sendable {
    public var scope: RootScope
    /// Coverage starting at or after.
    public var from: Instant?
    /// Coverage starting before and ending by.
    public var to: Instant?
    /// Coverage ending by.
    public var endBy: Instant?
    /// Coverage starting by.
    public var startBy: Instant?
    /// Leave out files whose coverage is their modification time.
    public var excludeMtime = false

    public init(scope: RootScope, from: Instant? = nil, to: Instant? = nil, endBy: Instant? = nil, startBy: Instant? = nil,
                excludeMtime: Bool = false) {
        self.scope = scope; self.from = from; self.to = to; self.endBy = endBy; self.startBy = startBy; self.excludeMtime = excludeMtime
    }
}

/// A live, covered file as plans weigh it.
public struct Candidate: Sendable {
    public var id: Int64
    public var dirId: Int64
    public var name: PathBytes
    public var stat: FileStat
    public var coverage: Coverage
    public var streamId: Int64
    public var datasetId: Int64?
    /// Its coverage is the modification time, which proves nothing about the data.
    public var fromMtime: Bool

    public init(id: Int64, dirId: Int64, name: PathBytes, stat: FileStat, coverage: Coverage, streamId: Int64, datasetId: Int64?, fromMtime: Bool) {
        self.id = id; self.dirId = dirId; self.name = name; self.stat = stat; self.coverage = coverage; self.streamId = streamId
        self.datasetId = datasetId; self.fromMtime = fromMtime
    }
}

/// Which roots' files a plan or an execution may touch: every root of the context, or only
/// some (the others stale or unavailable).
public struct RootScope: Sendable, Equatable {
    /// nil: every root of the context.
    public var ids: Set<Int64>?

    public init(ids: Set<Int64>?) { self.ids = ids }

    /// Every root of the context.
    public static let all = RootScope(ids: nil)
}
