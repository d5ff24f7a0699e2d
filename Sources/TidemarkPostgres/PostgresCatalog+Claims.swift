import PostgresNIO
import TidemarkCore

/// The claim store on PostgreSQL. A claim is one statement: it picks the oldest claimable
/// rows with `FOR UPDATE SKIP LOCKED` — rows another claimer is taking at that moment are
/// skipped, not waited for, and a row another claimer has just taken is re-checked and
/// dropped — and marks them claimed, so one item never goes to two claimers. Leases are on
/// the server's clock (`statement_timestamp()`), so the workers' hosts need not agree on the time.
extension PostgresCatalog: ClaimStore {
    public func enqueue(_ items: [WorkItem], queue: String) throws(CatalogError) -> Int {
        try session.transaction { () throws(CatalogError) in try PostgresClaimTransaction(session: session).enqueue(items, queue: queue) }
    }

    public func claim(queue: String, worker: String, lease: Int64, limit: Int) throws(CatalogError) -> [Claim] {
        guard lease > 0 else { throw .nonPositiveLease(lease, path: url.masked) }
        guard limit > 0 else { return [] }
        let token = Int64.random(in: 1...Int64.max)
        let rows = try rows("""
            UPDATE work_items SET state = \(WorkState.claimed.rawValue), claimer = \(worker), token = \(token),
                   lease_until = \(unescaped: Self.serverNow) + \(lease), attempts = attempts + 1, claimed = \(unescaped: Self.serverNow)
            WHERE id IN (SELECT id FROM work_items
                         WHERE queue = \(queue) AND (state = \(WorkState.queued.rawValue)
                               OR (state = \(WorkState.claimed.rawValue) AND lease_until <= \(unescaped: Self.serverNow)))
                         ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING id, item, payload, attempts, lease_until
            """)
        return try decoding {
            try rows.map { row in
                let (id, key, payload, attempts, until) = try row.decode((Int64, String, String?, Int, Int64).self)
                return Claim(id: id, queue: queue, item: WorkItem(key: key, payload: payload), worker: worker, token: token,
                             leaseUntil: Instant(microseconds: until), attempts: attempts)
            }.sorted { $0.id < $1.id }
        }
    }

    public func renew(_ claim: Claim, lease: Int64) throws(CatalogError) -> Claim {
        guard lease > 0 else { throw .nonPositiveLease(lease, path: url.masked) }
        let rows = try changeClaimed(claim, "lease_until = \(unescaped: Self.serverNow) + \(lease)")
        var renewed = claim
        renewed.leaseUntil = Instant(microseconds: try decoding { try rows[0].decode(Int64.self) })
        return renewed
    }

    public func complete(_ claim: Claim, outcome: String?, effect: (any ClaimTransaction) throws(CatalogError) -> Void) throws(CatalogError) {
        try session.transaction { () throws(CatalogError) in
            // The item first: its row stays locked until commit, so no claimer takes it meanwhile.
            try changeClaimed(claim, """
                state = \(WorkState.done.rawValue), lease_until = NULL, finished = \(unescaped: Self.serverNow), outcome = \(outcome)
                """)
            try effect(PostgresClaimTransaction(session: session))
        }
    }

    public func release(_ claim: Claim, reason: String?) throws(CatalogError) {
        try changeClaimed(claim, "state = \(WorkState.queued.rawValue), lease_until = NULL, outcome = \(reason)")
    }

    public func fail(_ claim: Claim, reason: String) throws(CatalogError) {
        try changeClaimed(claim, """
            state = \(WorkState.failed.rawValue), lease_until = NULL, finished = \(unescaped: Self.serverNow), outcome = \(reason)
            """)
    }

    public func workItems(queue: String) throws(CatalogError) -> [WorkItemRecord] {
        let rows = try rows("""
            SELECT id, item, payload, state, claimer, attempts, lease_until, enqueued, claimed, finished, outcome
            FROM work_items WHERE queue = \(queue) ORDER BY id
            """)
        return try decoding {
            try rows.map { row in
                let (id, key, payload, stateName, claimer, attempts, until, enqueued, claimed, finished, outcome) =
                    try row.decode((Int64, String, String?, String, String?, Int, Int64?, Int64, Int64?, Int64?, String?).self)
                guard let state = WorkState(rawValue: stateName) else {
                    throw CatalogError(path: url.masked, kind: .corrupt, message: "work item \(id) of queue '\(queue)' has an unknown state '\(stateName)'")
                }
                return WorkItemRecord(id: id, queue: queue, item: WorkItem(key: key, payload: payload), state: state, claimer: claimer,
                                      attempts: attempts, leaseUntil: until.map(Instant.init(microseconds:)), enqueued: Instant(microseconds: enqueued),
                                      claimed: claimed.map(Instant.init(microseconds:)), finished: finished.map(Instant.init(microseconds:)), outcome: outcome)
            }
        }
    }

    /// Changes a claimed item (`set`: the assignments) only while `claim` still holds it —
    /// its token is the item's — returning its lease; else throws `leaseLost`.
    @discardableResult
    private func changeClaimed(_ claim: Claim, _ set: PostgresQuery) throws(CatalogError) -> [PostgresRow] {
        var binds = set.binds
        let n = binds.count
        binds.append(claim.id, context: .default)
        binds.append(claim.token, context: .default)
        binds.append(WorkState.claimed.rawValue, context: .default)
        let rows = try rows(PostgresQuery(unsafeSQL: """
            UPDATE work_items SET \(set.sql) WHERE id = $\(n + 1) AND token = $\(n + 2) AND state = $\(n + 3) RETURNING lease_until
            """, binds: binds))
        guard !rows.isEmpty else { throw .leaseLost(claim, path: url.masked) }
        return rows
    }

    /// Now on the server's clock, in microseconds: one value for the whole statement.
    static let serverNow = "(extract(epoch FROM statement_timestamp()) * 1000000)::bigint"

    /// Rows read back as values; a row that does not decode is a damaged catalog.
    private func decoding<T>(_ body: () throws -> T) throws(CatalogError) -> T {
        do { return try body() } catch let e as CatalogError { throw e } catch {
            throw CatalogError(path: url.masked, kind: .corrupt, message: "a row of work_items cannot be read: \(error)", cause: error)
        }
    }
}

/// The writes a worker's effect may make inside the completing transaction.
struct PostgresClaimTransaction: ClaimTransaction {
    let session: PostgresSession

    /// One statement for the whole batch, its columns as arrays (a payload's absence in its
    /// own array: an array of optionals does not travel).
    func enqueue(_ items: [WorkItem], queue: String) throws(CatalogError) -> Int {
        guard !items.isEmpty else { return 0 }
        return try session.rows("""
            INSERT INTO work_items (queue, item, payload, enqueued)
            SELECT \(queue), key, CASE WHEN has THEN payload END, \(unescaped: PostgresCatalog.serverNow)
            FROM unnest(\(items.map(\.key))::text[], \(items.map { $0.payload ?? "" })::text[], \(items.map { $0.payload != nil })::bool[])
                 WITH ORDINALITY AS t(key, payload, has, n)
            ORDER BY n
            ON CONFLICT (queue, item) DO NOTHING RETURNING id
            """).count
    }
}
