/// Queued work — copies, update requests — taken by workers on any host so that no item is
/// ever held by two live workers and a dead worker's item comes back.
///
/// A worker claims items for a lease, on the store's clock (the server's for PostgreSQL, so
/// hosts' clocks need not agree; this host's for SQLite). While the lease runs, no one else
/// can claim the item; once it has run out, anyone may, and the item is handed on with a new
/// token. Everything a worker does to its item afterwards — renew, complete, release, fail —
/// compares its token with the catalog's, so a worker whose lease was lost and whose item was
/// handed on cannot act on it any more (`CatalogError.Kind.leaseLost`). Completion runs the
/// item's effect (what the work recorded) in the same transaction, so an item is done and its
/// effect recorded together or not at all: exactly once, however workers die.
public protocol ClaimStore: AnyObject, Sendable {
    /// Adds `items` to `queue`; an item already there under its key, in any state, is left
    /// as it is. Returns how many were added.
    func enqueue(_ items: [WorkItem], queue: String) throws(CatalogError) -> Int
    /// Claims up to `limit` items of `queue` for `worker`, oldest first: queued ones, and
    /// claimed ones whose lease has run out. Each claim gets a new token and a lease of
    /// `lease` microseconds from now; an item locked by another claimer is skipped, not
    /// waited for. Empty when nothing is claimable.
    func claim(queue: String, worker: String, lease: Int64, limit: Int) throws(CatalogError) -> [Claim]
    /// Extends the claim's lease to `lease` microseconds from now; `leaseLost` when the item
    /// was handed on or finished meanwhile.
    func renew(_ claim: Claim, lease: Int64) throws(CatalogError) -> Claim
    /// Marks the claimed item done with `outcome`, running `effect` in the same transaction;
    /// `leaseLost` (and nothing of the effect kept) when the item was handed on or finished.
    func complete(_ claim: Claim, outcome: String?, effect: (any ClaimTransaction) throws(CatalogError) -> Void) throws(CatalogError)
    /// Gives the item back to the queue, for anyone to claim again (its attempts are kept);
    /// `leaseLost` when it was handed on or finished.
    func release(_ claim: Claim, reason: String?) throws(CatalogError)
    /// Marks the item failed for a person to look at (no one claims it again);
    /// `leaseLost` when it was handed on or finished.
    func fail(_ claim: Claim, reason: String) throws(CatalogError)
    /// The items of `queue` in the order they were queued, in every state.
    func workItems(queue: String) throws(CatalogError) -> [WorkItemRecord]
}

extension ClaimStore {
    /// Marks the claimed item done, with no effect beyond that.
    public func complete(_ claim: Claim, outcome: String? = nil) throws(CatalogError) {
        try complete(claim, outcome: outcome) { _ throws(CatalogError) in }
    }
}

/// What a worker may write in the same transaction as its item's completion, so that the
/// work's record and the item's completion are kept together or not at all. (The copy
/// worker records its copy here.)
public protocol ClaimTransaction {
    /// Adds follow-up items to a queue, as `ClaimStore.enqueue` does.
    @discardableResult
    func enqueue(_ items: [WorkItem], queue: String) throws(CatalogError) -> Int
}

/// Where a work item stands; stored by its name.
public enum WorkState: String, Sendable, CaseIterable {
    /// Waiting for a worker (never claimed, or given back).
    case queued
    /// Held by a worker until its lease runs out.
    case claimed
    /// Completed, its effect recorded.
    case done
    /// Given up by a worker; waits for a person.
    case failed
}

/// A piece of work to queue: a key unique within its queue, and what a worker needs to do it.
public struct WorkItem: Sendable, Hashable {
    /// Names the item within its queue: queuing it again adds nothing.
    public var key: String
    /// What the worker needs beyond the key, in the queue's own format.
    public var payload: String?

    /// An item named `key`, with what its worker needs.
    public init(key: String, payload: String? = nil) {
        self.key = key
        self.payload = payload
    }
}

/// An item a worker holds, and the token that proves it still does.
public struct Claim: Sendable, Hashable {
    /// The item's row.
    public var id: Int64
    /// The queue it was claimed from.
    public var queue: String
    /// What was queued: key and payload.
    public var item: WorkItem
    /// Who claimed it.
    public var worker: String
    /// Drawn afresh at each claim; renewing, completing, releasing and failing compare it
    /// with the catalog's, so only the item's latest claimer can.
    public var token: Int64
    /// When the lease runs out, on the store's clock.
    public var leaseUntil: Instant
    /// How many times the item has been claimed, this claim included.
    public var attempts: Int

    /// A claim as a store hands it out.
    public init(id: Int64, queue: String, item: WorkItem, worker: String, token: Int64, leaseUntil: Instant, attempts: Int) {
        self.id = id; self.queue = queue; self.item = item; self.worker = worker; self.token = token
        self.leaseUntil = leaseUntil; self.attempts = attempts
    }
}

/// A work item as the catalog holds it.
public struct WorkItemRecord: Sendable {
    /// The item's row.
    public var id: Int64
    /// Its queue.
    public var queue: String
    /// What was queued: key and payload.
    public var item: WorkItem
    /// Where it stands.
    public var state: WorkState
    /// The latest claimer; nil when never claimed.
    public var claimer: String?
    /// How many times it was claimed.
    public var attempts: Int
    /// When the latest claim's lease runs out (nil unless claimed).
    public var leaseUntil: Instant?
    /// When it was first queued.
    public var enqueued: Instant
    /// When it was last claimed.
    public var claimed: Instant?
    /// When it was done or failed.
    public var finished: Instant?
    /// What its worker said when it finished, failed or gave it back.
    public var outcome: String?

    /// An item as a store reads it back.
    public init(id: Int64, queue: String, item: WorkItem, state: WorkState, claimer: String?, attempts: Int, leaseUntil: Instant?,
                enqueued: Instant, claimed: Instant?, finished: Instant?, outcome: String?) {
        self.id = id; self.queue = queue; self.item = item; self.state = state; self.claimer = claimer; self.attempts = attempts
        self.leaseUntil = leaseUntil; self.enqueued = enqueued; self.claimed = claimed; self.finished = finished; self.outcome = outcome
    }
}

extension CatalogError {
    /// A claim that was lost: its lease ran out and its item was claimed again, or finished.
    public static func leaseLost(_ claim: Claim, path: String) -> CatalogError {
        CatalogError(path: path, kind: .leaseLost, message: """
            the claim of '\(claim.item.key)' in queue '\(claim.queue)' by \(claim.worker) was lost: its lease ran out and \
            the item was claimed again (or finished) meanwhile; nothing of this claim was recorded. Renew a lease before it runs out
            """)
    }

    /// A lease that is not positive.
    public static func nonPositiveLease(_ lease: Int64, path: String) -> CatalogError {
        CatalogError(path: path, message: "a claim's lease must be positive, not \(lease) microseconds")
    }
}
