/// What every store answers: where it is, and the contexts and roots it holds.
public protocol CatalogListing: AnyObject, Sendable {
    /// The catalog as a person named it: a file path, or a URL without its password.
    var path: String { get }
    /// Names of the contexts the catalog holds, sorted.
    func contextNames() throws(CatalogError) -> [String]
    /// Every root of the catalog (or of one context) as recorded, ordered by context and id.
    func rootRecords(context: String?) throws(CatalogError) -> [RootRecord]
    /// The context a policy names, with its roots and categories; nil when never scanned.
    func policyContext(_ name: String) throws(CatalogError) -> PolicyContext?
}

/// The read side of a catalog: the queries and the status reads a server shows.
public protocol QueryStore: CatalogListing {
    /// Files overlapping the window, ordered by context, category, stream and start.
    func covers(_ q: CoversQuery) throws(CatalogError) -> [CatalogEntry]
    /// Catalogued files matching `q`, ordered by context, category, stream and start.
    func find(_ q: FindQuery) throws(CatalogError) -> [CatalogEntry]
    /// The coverage runs of every stream `q` selects, clipped to its window, streams in
    /// order of context, category and name (those with no run in the window too).
    func coverageRuns(_ q: CoverageQuery) throws(CatalogError) -> [StreamRuns]
    /// Report rows ordered by group, added up from the monthly rollups kept per stream.
    func report(_ q: ReportQuery) throws(CatalogError) -> [ReportRow]
    /// Live files, bytes and coverage span per context and category, with tombstone counts.
    func summary(context: String?) throws(CatalogError) -> [CategorySummary]
    /// The latest scans, newest first (of one context, or all).
    func lastScans(context: String?, limit: Int) throws(CatalogError) -> [ScanRecord]
    /// The latest policy runs, newest first (of one context, or all).
    func policyRuns(context: String?, limit: Int) throws(CatalogError) -> [PolicyRunRecord]
    /// Journal entries after entry `since`, oldest first, at most `limit`.
    func journal(since: Int64, limit: Int) throws(CatalogError) -> [JournalRecord]
    /// What the catalog holds under a root (`root list`; the same read as JournalStore's).
    func contents(of root: RootState) throws(CatalogError) -> RootContents
}

/// A root as the catalog records it (what it is now on disk is `RootState`).
public struct RootRecord: Sendable {
    public var id: Int64
    public var context: String
    public var path: PathBytes
    /// Recorded when first catalogued; nil for a root catalogued before identities were kept.
    public var identity: RootIdentity?
    /// The latest complete scan that walked it, and when that scan ended.
    public var lastScan: Int64?
    public var lastScanned: Instant?
    /// The latest complete scan of its context, and whether that scan was given its roots with `--scan`.
    public var latestScan: Int64?
    public var latestScanExplicit: Bool

    public init(id: Int64, context: String, path: PathBytes, identity: RootIdentity?, lastScan: Int64?, lastScanned: Instant?,
                latestScan: Int64?, latestScanExplicit: Bool) {
        self.id = id; self.context = context; self.path = path; self.identity = identity; self.lastScan = lastScan
        self.lastScanned = lastScanned; self.latestScan = latestScan; self.latestScanExplicit = latestScanExplicit
    }
}

/// One stream's coverage runs in a window: live data, and gone data (tombstones).
public struct StreamRuns: Sendable {
    public var context: String
    public var category: String
    public var stream: String
    public var live: [Span]
    public var gone: [Span]

    public init(context: String, category: String, stream: String, live: [Span], gone: [Span]) {
        self.context = context; self.category = category; self.stream = stream; self.live = live; self.gone = gone
    }
}

/// A scan as the status page lists it.
public struct ScanRecord: Sendable {
    public var id: Int64
    public var context: String
    public var started: Instant
    public var finished: Instant?
    public var status: ScanStatus
    public var files: Int?
    public var errors: Int?

    public init(id: Int64, context: String, started: Instant, finished: Instant?, status: ScanStatus, files: Int?, errors: Int?) {
        self.id = id; self.context = context; self.started = started; self.finished = finished; self.status = status
        self.files = files; self.errors = errors
    }
}

/// A policy run as the status page lists it.
public struct PolicyRunRecord: Sendable {
    public var id: Int64
    public var context: String
    public var policy: String
    public var started: Instant
    public var finished: Instant?
    public var status: PolicyRunStatus
    public var planned: Int
    public var done: Int
    public var skipped: Int
    public var failed: Int
    public var bytes: Int64

    public init(id: Int64, context: String, policy: String, started: Instant, finished: Instant?, status: PolicyRunStatus,
                planned: Int, done: Int, skipped: Int, failed: Int, bytes: Int64) {
        self.id = id; self.context = context; self.policy = policy; self.started = started; self.finished = finished
        self.status = status; self.planned = planned; self.done = done; self.skipped = skipped; self.failed = failed; self.bytes = bytes
    }
}

/// One journal entry as the status page lists it; `result` nil while open.
public struct JournalRecord: Sendable {
    public var id: Int64
    public var run: Int64
    public var fileId: Int64
    public var action: String
    public var rule: String
    public var size: Int64
    public var intended: Instant
    public var result: JournalResult?
    public var detail: String?

    public init(id: Int64, run: Int64, fileId: Int64, action: String, rule: String, size: Int64, intended: Instant,
                result: JournalResult?, detail: String?) {
        self.id = id; self.run = run; self.fileId = fileId; self.action = action; self.rule = rule; self.size = size
        self.intended = intended; self.result = result; self.detail = detail
    }
}
