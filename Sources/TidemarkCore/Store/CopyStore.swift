/// Copies of datasets to hosts: queued at most once per dataset and host (a unique key, not a
/// check-then-insert), claimed per row under a token and a lease, finished `full` or `fault`,
/// listed, dropped, reverted; and the `copy pause|resume` switches that workers obey.
///
/// A copy in `run` is claimed: the claim's token is drawn afresh each time, and renewing or
/// finishing compares it with the row's, so a runner whose lease ran out and whose copy was
/// taken up again cannot record anything for it (`CatalogError.Kind.leaseLost`). Claims are
/// per row, never under the catalog-wide policy lock.
public protocol CopyStore: AnyObject, Sendable {
    /// Queues `requests` at `at`; a dataset already queued for a host (in any state) is left as
    /// it is. Returns, for each request in order, the new copy's id or nil when it was there.
    func queueCopies(_ requests: [CopyRequest], at: Instant) throws(CatalogError) -> [Int64?]
    /// Claims up to `limit` copies for host `host` (its oldest first): new ones, and ones in run
    /// whose lease has run out — only while the host is up and its copies are on. Each gets a
    /// new token, one more attempt and a lease of `lease` microseconds; rows another claimer is
    /// taking are skipped, not waited for. Empty when nothing is claimable.
    func claimCopies(host: String, worker: String, lease: Int64, limit: Int) throws(CatalogError) -> [CopyClaim]
    /// Extends the claims' leases to `lease` microseconds from now; `leaseLost` when any of them
    /// was taken up by another runner or finished meanwhile (the others are extended).
    func renewCopies(_ claims: [CopyClaim], lease: Int64) throws(CatalogError) -> [CopyClaim]
    /// Records how a claimed copy ended (full, fault, or given back as new); `leaseLost` (and
    /// nothing recorded) when it was taken up by another runner or finished meanwhile.
    func finishCopy(_ claim: CopyClaim, _ outcome: CopyOutcome, at: Instant) throws(CatalogError)
    /// Records how several claimed copies ended, in one transaction (a batch after its rsync);
    /// returns, for each in order, whether it was recorded — false when its claim was lost, as
    /// `finishCopy`'s `leaseLost` (nothing recorded for it; the others are).
    func finishCopies(_ finishes: [(claim: CopyClaim, outcome: CopyOutcome)], at: Instant) throws(CatalogError) -> [Bool]
    /// The copies matching `filter`, by id.
    func copies(_ filter: CopyFilter) throws(CatalogError) -> [CopyRecord]
    /// Removes the copies of host `host` (of `datasets` only, when given) from the queue and
    /// the record, whatever their state; returns them as they were.
    func dropCopies(host: String, datasets: [Int64]?) throws(CatalogError) -> [CopyRecord]
    /// Puts the copies `ids` that are still in fault back to new, their fault and claim
    /// cleared; returns them as they were (`CopyRevert` chooses them and journals each).
    func revertCopies(_ ids: [Int64], at: Instant) throws(CatalogError) -> [CopyRecord]
    /// Where the live files of each of `datasets` are (one read for all): per root, their
    /// paths relative to it; a dataset without live files is absent.
    func copySources(datasets: [Int64]) throws(CatalogError) -> [Int64: [CopySource]]
    /// The switches as stored (a switch never set is not paused).
    func copySwitches() throws(CatalogError) -> CopySwitches
    /// Pauses or resumes `part` of the copy queue.
    func setCopySwitch(_ part: CopyPart, paused: Bool, by: String, at: Instant) throws(CatalogError)
}

/// Where a copy stands; stored by its name.
public enum CopyState: String, Sendable, CaseIterable, Codable {
    /// Queued, waiting for a runner.
    case new
    /// Claimed by a runner (or left claimed by one that died: taken up again after its lease).
    case run
    /// Copied and verified.
    case full
    /// Stopped with a fault code; `revert` puts transient ones back to new.
    case fault
}

/// A part of the copy queue that `copy pause|resume` switches.
public enum CopyPart: String, Sendable, CaseIterable, Codable {
    /// Queuing new copies (`copy queue`, a policy's copy rule).
    case queue
    /// Running queued copies (`copy run`).
    case run
}

/// The copy queue's switches.
public struct CopySwitches: Sendable, Hashable {
    /// Whether queuing is paused.
    public var queuePaused: Bool
    /// Whether running is paused.
    public var runPaused: Bool

    /// Switches as stored.
    public init(queuePaused: Bool, runPaused: Bool) { self.queuePaused = queuePaused; self.runPaused = runPaused }

    /// Whether `part` is paused.
    public func isPaused(_ part: CopyPart) -> Bool { part == .queue ? queuePaused : runPaused }
}

/// A copy to queue: a dataset, a host, the destination directory there.
public struct CopyRequest: Sendable, Hashable {
    /// The dataset's row.
    public var dataset: Int64
    /// The host's name.
    public var host: String
    /// The destination directory on the host (absolute).
    public var path: PathBytes

    /// A request as given.
    public init(dataset: Int64, host: String, path: PathBytes) { self.dataset = dataset; self.host = host; self.path = path }
}

/// Which copies a listing takes; every part optional.
public struct CopyFilter: Sendable, Hashable {
    /// Only these hosts' (all when nil).
    public var hosts: [String]?
    /// Only these datasets' (all when nil).
    public var datasets: [Int64]?
    /// Only copies in this state.
    public var state: CopyState?

    /// A filter; nil parts take everything.
    public init(hosts: [String]? = nil, datasets: [Int64]? = nil, state: CopyState? = nil) {
        self.hosts = hosts; self.datasets = datasets; self.state = state
    }
}

/// A copy as the catalog holds it.
public struct CopyRecord: Sendable, Hashable {
    /// Its row.
    public var id: Int64
    /// The dataset's row.
    public var dataset: Int64
    /// The dataset's context.
    public var context: String
    /// The dataset's name.
    public var datasetName: String
    /// The dataset's category.
    public var category: String
    /// The host's name.
    public var host: String
    /// The destination directory on the host.
    public var path: PathBytes
    /// Where it stands.
    public var state: CopyState
    /// Its fault code, in fault.
    public var fault: FaultCode?
    /// What the copy holds once full (the bytes sent by its latest attempt otherwise).
    public var bytes: Int64
    /// When its latest attempt ended.
    public var epoch: Instant?
    /// How many seconds its latest attempt took.
    public var dtime: Double?
    /// How many times it was claimed.
    public var attempts: Int
    /// The latest attempt's last words (rsync's or ssh's error tail), or why it was reverted.
    public var message: String?
    /// A dry run found nothing left to send.
    public var verified: Bool
    /// When it was queued.
    public var queued: Instant
    /// Its latest claimer, while in run.
    public var claimer: String?
    /// When its claim's lease runs out, while in run.
    public var leaseUntil: Instant?

    /// A copy as a store reads it.
    public init(id: Int64, dataset: Int64, context: String, datasetName: String, category: String, host: String, path: PathBytes,
                state: CopyState, fault: FaultCode?, bytes: Int64, epoch: Instant?, dtime: Double?, attempts: Int, message: String?,
                verified: Bool, queued: Instant, claimer: String?, leaseUntil: Instant?) {
        self.id = id; self.dataset = dataset; self.context = context; self.datasetName = datasetName; self.category = category
        self.host = host; self.path = path; self.state = state; self.fault = fault; self.bytes = bytes; self.epoch = epoch
        self.dtime = dtime; self.attempts = attempts; self.message = message; self.verified = verified; self.queued = queued
        self.claimer = claimer; self.leaseUntil = leaseUntil
    }

    /// Full and verified: what age-off's `require_copy_on` asks of a copy.
    public var isVerifiedFull: Bool { state == .full && verified }

    /// The message a reverted copy keeps: when, from which fault, and what it said then.
    public func revertMessage(at: Instant) -> String {
        "reverted at \(at.iso8601) from fault \(fault?.rawValue ?? 0) (\(fault?.name ?? "?"))" + (message.map { ": \($0)" } ?? "")
    }
}

/// A copy a runner holds, and the token that proves it still does.
public struct CopyClaim: Sendable, Hashable {
    /// The copy's row.
    public var id: Int64
    /// The dataset's row.
    public var dataset: Int64
    /// The dataset's name.
    public var datasetName: String
    /// The host's name.
    public var host: String
    /// The destination directory on the host.
    public var path: PathBytes
    /// Who claimed it.
    public var worker: String
    /// Drawn afresh at each claim.
    public var token: Int64
    /// When the lease runs out, on the store's clock.
    public var leaseUntil: Instant
    /// How many times it has been claimed, this claim included.
    public var attempts: Int

    /// A claim as a store hands it out.
    public init(id: Int64, dataset: Int64, datasetName: String, host: String, path: PathBytes, worker: String, token: Int64,
                leaseUntil: Instant, attempts: Int) {
        self.id = id; self.dataset = dataset; self.datasetName = datasetName; self.host = host; self.path = path
        self.worker = worker; self.token = token; self.leaseUntil = leaseUntil; self.attempts = attempts
    }
}

/// How a claimed copy ended.
public enum CopyOutcome: Sendable, Hashable {
    /// Copied (`bytes`), in `seconds`; `verified` when a dry run found nothing left to send.
    case full(bytes: Int64, seconds: Double, verified: Bool, message: String?)
    /// Stopped with `code`, after `seconds`, with the last words of rsync or ssh.
    case fault(FaultCode, bytes: Int64, seconds: Double, message: String)
    /// Given back to the queue as new (not tried: the host was full, or the runner stopped).
    case requeue(message: String)
}

/// A dataset's live files under one root: what rsync sends (`--files-from`, relative to `root`).
public struct CopySource: Sendable, Hashable {
    /// The root's path.
    public var root: PathBytes
    /// The files' paths relative to the root.
    public var files: [PathBytes]
    /// Their bytes, as catalogued.
    public var bytes: Int64

    /// A source as a store reads it.
    public init(root: PathBytes, files: [PathBytes], bytes: Int64) { self.root = root; self.files = files; self.bytes = bytes }
}

extension [CopySource] {
    /// Adds a file of `bytes` under `root`, as rows ordered by root arrive (a new root after the last starts a new source).
    public mutating func add(root: PathBytes, file: PathBytes, bytes: Int64) {
        if last?.root != root { append(CopySource(root: root, files: [], bytes: 0)) }
        self[count - 1].files.append(file)
        self[count - 1].bytes += bytes
    }
}

extension CatalogError {
    /// A host name the catalog does not know.
    public static func noSuchHost(_ name: String, path: String) -> CatalogError {
        CatalogError(path: path, message: "the catalog has no host '\(name)'; `tidemark host list` shows them, `tidemark host add` adds one")
    }

    /// A copy claim that was lost: its lease ran out and it was taken up again, or finished.
    public static func copyLeaseLost(_ claim: CopyClaim, path: String) -> CatalogError {
        CatalogError(path: path, kind: .leaseLost, message: """
            the claim of copy \(claim.id) (dataset '\(claim.datasetName)' to \(claim.host)) by \(claim.worker) was lost: its lease ran \
            out and the copy was taken up again (or finished) meanwhile; nothing of this claim was recorded
            """)
    }
}
