/// Requests for the files of a time window, and the dependents that regenerate purged files
/// they need (`Requests/` holds the logic; this is the seam to the catalog).
///
/// A request needs every catalogued file of its categories (and stream) whose coverage
/// overlaps its window. A purged file of a category with an update command gets one
/// dependent, shared by every request that needs it. Dependents are claimed like work items
/// (a token drawn at each claim, a lease on the store's clock), so two `request run`s never
/// start one update, and a dead run's dependent is claimed again once its lease runs out.
/// Every state change is journaled (`request_events`) in the transaction that makes it.
public protocol RequestStore: AnyObject, Sendable {
    /// Adds a request in state `new`; returns its id.
    func addRequest(_ spec: RequestSpec, at: Instant, by: String) throws(CatalogError) -> Int64
    /// The catalogued files, in every state, that `spec` selects, ordered by category, stream and start.
    func selectFiles(_ spec: RequestSpec) throws(CatalogError) -> [RequestedFile]
    /// Records what resolving a `new` request found, in one transaction: the files it needs,
    /// a dependent (state `new`) for each file of `dependents` that has none yet (one that is
    /// `full` while its file is purged again starts over), and the request's next state.
    /// False (nothing written) when the request is no longer `new`.
    func recordResolution(_ r: RequestResolution, at: Instant, by: String) throws(CatalogError) -> Bool
    /// Adds requests in state `new`, in one transaction; their ids, in the order of `specs`.
    func addRequests(_ specs: [RequestSpec], at: Instant, by: String) throws(CatalogError) -> [Int64]
    /// Resolves many `new` requests in one transaction, in order: each one's `verdict` when it
    /// has one (a malformed request), else what `classify` makes of the files its spec selects
    /// (read within the transaction), recorded as `recordResolution` records it. Returns, for
    /// each, whether it was still `new` (false: nothing written for it).
    func resolveRequests(_ pending: [PendingRequest], at: Instant, by: String,
                         classify: (PendingRequest, [RequestedFile]) -> RequestResolution) throws(CatalogError) -> [Bool]
    /// Requests, by id.
    func requests(_ filter: RequestFilter) throws(CatalogError) -> [RequestRecord]
    /// The requests of `ids`, in that order (ids with no request are left out).
    func requests(ids: [Int64]) throws(CatalogError) -> [RequestRecord]
    /// The files request `id` needs, with their states now.
    func requestFiles(_ id: Int64) throws(CatalogError) -> [RequestedFile]
    /// Dependents, by id.
    func dependents(_ filter: DependentFilter) throws(CatalogError) -> [DependentRecord]
    /// Claims up to `limit` dependents for `worker` — `new` ones, and `run` ones whose lease
    /// ran out (a dead run's) — those of the highest-priority open request first; each is set
    /// to `run` with a new token and a lease of `lease` microseconds from now on the store's
    /// clock. `categories` nil: any. Empty when nothing is claimable.
    func claimDependents(worker: String, lease: Int64, limit: Int, categories: Set<String>?) throws(CatalogError) -> [DependentClaim]
    /// Ends a claimed dependent (`full`, or `fault` with a code and message), journaled, only
    /// while the claim still holds it (its token is the dependent's and it is `run`); false
    /// (nothing written) otherwise.
    func finishDependent(_ claim: DependentClaim, _ outcome: DependentOutcome, at: Instant, by: String) throws(CatalogError) -> Bool
    /// Moves `run` requests on: to `fault` (with the code and message of the first faulted
    /// dependent they need), or to `full` when every file they need is live and no dependent
    /// of theirs is open, pinned until `at` + the grace of their context (`grace`, default
    /// `defaultGrace`). Returns the requests moved.
    func settleRequests(at: Instant, grace: [String: Int64], defaultGrace: Int64, by: String) throws(CatalogError) -> [RequestRecord]
    /// Dependents not `full` (and not held by a live claim) whose file a scan found back live,
    /// with a coverage overlapping what was needed, become `full`. Returns how many.
    func settleRegenerated(at: Instant, by: String) throws(CatalogError) -> Int
    /// Puts faulted dependents with one of `faults` back to `new`, and requests they faulted
    /// back to `run`. Returns the dependents reverted.
    func revertDependents(faults: Set<Int>, at: Instant, by: String) throws(CatalogError) -> [DependentRecord]
    /// Puts faulted requests with one of `faults` back to `new` (resolved again by the next
    /// run), with the faulted dependents they need whose code is one of `faults`. Returns the
    /// requests reverted.
    func revertRequests(faults: Set<Int>, at: Instant, by: String) throws(CatalogError) -> [RequestRecord]
}

/// A `new` request to resolve in a batch.
public struct PendingRequest: Sendable {
    public var id: Int64
    public var spec: RequestSpec
    /// Its outcome when known without reading files (a malformed request); nil: resolve it.
    public var verdict: RequestResolution?

    /// Request `id` asking for `spec`, with its outcome when already known.
    public init(id: Int64, spec: RequestSpec, verdict: RequestResolution? = nil) { self.id = id; self.spec = spec; self.verdict = verdict }
}

/// Where a request or a dependent stands; stored by its name.
public enum RequestState: String, Sendable, CaseIterable, Codable {
    /// Not yet resolved against the catalog (a request); not yet started (a dependent).
    case new
    /// Waiting for its dependents (a request); its update command is running (a dependent).
    case run
    /// Every file it needs is live (a request); its file is back (a dependent).
    case full
    /// Stopped with a fault code.
    case fault
}

/// The fault codes of requests and dependents: the IPP codes (`FaultCode`, 1–6) for the
/// system's faults, and codes from 10 up for the user's, which `revert` leaves alone unless named.
public enum RequestFault {
    /// A file the request needs cannot come back: deleted, missing, or purged in a category
    /// without an update command.
    public static let gone = 10
    /// No catalogued file overlaps the request's window.
    public static let empty = 11
    /// The request is malformed: an unknown category, a window that ends before it begins, a bad row.
    public static let malformed = 12
    /// Codes below this are the system's (reverted by default); from it up, the user's.
    public static let firstUserCode = 10

    /// A person's word for a code.
    public static func name(_ code: Int) -> String {
        switch code {
        case gone: "gone"
        case empty: "empty"
        case malformed: "malformed"
        default: FaultCode(rawValue: code)?.name ?? "code \(code)"
        }
    }
}

/// What a request asks for.
public struct RequestSpec: Sendable {
    /// The context whose catalogued files it selects.
    public var context: String
    /// The categories of the files (IPP's IMG_TYPE).
    public var categories: [String]
    /// The stream (IPP's COMPONENT); nil for any.
    public var stream: String?
    /// The window; either end may be open.
    public var window: TimeWindow
    /// A person's name for it.
    public var label: String?
    /// Higher first.
    public var priority: Int
    /// Where it came from and what else it said (a request file's other columns), as JSON text.
    public var source: String?

    /// A request as given.
    public init(context: String, categories: [String], stream: String? = nil, window: TimeWindow, label: String? = nil,
                priority: Int = 0, source: String? = nil) {
        self.context = context; self.categories = categories; self.stream = stream; self.window = window; self.label = label
        self.priority = priority; self.source = source
    }
}

/// A catalogued file as a request sees it.
public struct RequestedFile: Sendable {
    /// Its row.
    public var id: Int64
    /// Its absolute path.
    public var path: PathBytes
    /// The root it lies under.
    public var root: PathBytes
    public var category: String
    public var stream: String
    /// Its catalogued coverage.
    public var coverage: Coverage?
    public var state: FileState
    /// When it went, and by what (`policy run 3`, `scan 12`).
    public var goneAt: Instant?
    public var goneBy: String?
    /// Its dependent, if it has one.
    public var dependent: Int64?
    public var dependentState: RequestState?

    /// A file as a store reads it.
    public init(id: Int64, path: PathBytes, root: PathBytes, category: String, stream: String, coverage: Coverage?, state: FileState,
                goneAt: Instant?, goneBy: String?, dependent: Int64? = nil, dependentState: RequestState? = nil) {
        self.id = id; self.path = path; self.root = root; self.category = category; self.stream = stream; self.coverage = coverage
        self.state = state; self.goneAt = goneAt; self.goneBy = goneBy; self.dependent = dependent; self.dependentState = dependentState
    }
}

/// What resolving a request found.
public struct RequestResolution: Sendable {
    public var request: Int64
    /// Every file it needs.
    public var files: [Int64]
    /// The purged files to regenerate, with the coverage each must have again.
    public var dependents: [(file: Int64, need: Coverage?)]
    /// `run` (waiting for its files) or `fault`.
    public var state: RequestState
    public var fault: Int?
    public var message: String?

    /// A resolution as `RequestResolver` makes it.
    public init(request: Int64, files: [Int64], dependents: [(file: Int64, need: Coverage?)], state: RequestState, fault: Int?, message: String?) {
        self.request = request; self.files = files; self.dependents = dependents; self.state = state; self.fault = fault; self.message = message
    }
}

/// Which requests to list.
public struct RequestFilter: Sendable {
    public var id: Int64?
    public var state: RequestState?

    /// Requests with this id and state (nil: any).
    public init(id: Int64? = nil, state: RequestState? = nil) { self.id = id; self.state = state }
}

/// Which dependents to list.
public struct DependentFilter: Sendable {
    public var id: Int64?
    public var state: RequestState?
    /// Only those a request needs.
    public var request: Int64?

    /// Dependents with this id, state and request (nil: any).
    public init(id: Int64? = nil, state: RequestState? = nil, request: Int64? = nil) { self.id = id; self.state = state; self.request = request }
}

/// A request as the catalog holds it.
public struct RequestRecord: Sendable {
    public var id: Int64
    public var spec: RequestSpec
    public var state: RequestState
    public var fault: Int?
    public var message: String?
    /// How many files it needs, how many are live, and its dependents.
    public var files: Int
    public var ready: Int
    public var dependents: Int
    public var created: Instant
    public var changed: Instant
    /// When it became `full`.
    public var finished: Instant?
    /// Its files stay out of age-off and cleanup until then (set when it becomes `full`).
    public var pinnedUntil: Instant?

    /// A request as a store reads it.
    public init(id: Int64, spec: RequestSpec, state: RequestState, fault: Int?, message: String?, files: Int, ready: Int, dependents: Int,
                created: Instant, changed: Instant, finished: Instant?, pinnedUntil: Instant?) {
        self.id = id; self.spec = spec; self.state = state; self.fault = fault; self.message = message; self.files = files
        self.ready = ready; self.dependents = dependents; self.created = created; self.changed = changed; self.finished = finished
        self.pinnedUntil = pinnedUntil
    }
}

/// A dependent as the catalog holds it.
public struct DependentRecord: Sendable {
    public var id: Int64
    /// The purged file it regenerates.
    public var file: RequestedFile
    /// The context of the file.
    public var context: String
    /// The coverage the file must have again.
    public var need: Coverage?
    public var state: RequestState
    public var fault: Int?
    public var message: String?
    /// The requests that need it.
    public var requests: [Int64]
    /// Its latest claimer, and how many times it was claimed.
    public var claimer: String?
    public var attempts: Int
    public var created: Instant
    public var changed: Instant

    /// A dependent as a store reads it.
    public init(id: Int64, file: RequestedFile, context: String, need: Coverage?, state: RequestState, fault: Int?, message: String?,
                requests: [Int64], claimer: String?, attempts: Int, created: Instant, changed: Instant) {
        self.id = id; self.file = file; self.context = context; self.need = need; self.state = state; self.fault = fault
        self.message = message; self.requests = requests; self.claimer = claimer; self.attempts = attempts; self.created = created
        self.changed = changed
    }
}

/// A dependent a run holds, and the token that proves it still does.
public struct DependentClaim: Sendable {
    public var dependent: DependentRecord
    public var worker: String
    public var token: Int64
    /// How many times it has been claimed, this claim included (more than one: a run died holding it).
    public var attempts: Int

    /// A claim as a store hands it out.
    public init(dependent: DependentRecord, worker: String, token: Int64, attempts: Int) {
        self.dependent = dependent; self.worker = worker; self.token = token; self.attempts = attempts
    }
}

/// How a dependent's update ended.
public enum DependentOutcome: Sendable, Equatable {
    /// The file is back, as needed.
    case full(String?)
    /// It faulted with a code and why.
    case fault(Int, String)
}
