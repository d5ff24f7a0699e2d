import Foundation
import GRDB

/// The claim store on SQLite: each operation is one write transaction, which SQLite takes
/// as `BEGIN IMMEDIATE` — one writer at a time for the whole file — so two claimers never
/// see the same item claimable; the token is compared in the statement that changes the item.
extension SQLiteCatalog: ClaimStore {
    public func enqueue(_ items: [WorkItem], queue: String) throws(CatalogError) -> Int {
        try write { db in try SQLiteClaimTransaction(db: db, path: path).insert(items, queue: queue) }
    }

    public func claim(queue: String, worker: String, lease: Int64, limit: Int) throws(CatalogError) -> [Claim] {
        guard lease > 0 else { throw .nonPositiveLease(lease, path: path) }
        guard limit > 0 else { return [] }
        let token = Int64.random(in: 1...Int64.max)
        return try write { db in
            let now = systemClock()
            let until = now &+ lease
            let rows = try Row.fetchAll(db, sql: """
                UPDATE work_items SET state = \(sqlLiteral(WorkState.claimed)), claimer = ?, token = ?, lease_until = ?,
                       attempts = attempts + 1, claimed = ?
                WHERE id IN (SELECT id FROM work_items
                             WHERE queue = ? AND (state = \(sqlLiteral(WorkState.queued))
                                                  OR (state = \(sqlLiteral(WorkState.claimed)) AND lease_until <= ?))
                             ORDER BY id LIMIT ?)
                RETURNING id, item, payload, attempts
                """, arguments: [worker, token, until, now, queue, now, limit])
            return rows.map {
                Claim(id: $0[0], queue: queue, item: WorkItem(key: $0[1], payload: $0[2]), worker: worker, token: token,
                      leaseUntil: Instant(microseconds: until), attempts: $0[3])
            }.sorted { $0.id < $1.id }
        }
    }

    public func renew(_ claim: Claim, lease: Int64) throws(CatalogError) -> Claim {
        guard lease > 0 else { throw .nonPositiveLease(lease, path: path) }
        return try write { db in
            let until = systemClock() &+ lease
            try Self.changeClaimed(db, claim, path: path, "lease_until = ?", [until])
            var renewed = claim
            renewed.leaseUntil = Instant(microseconds: until)
            return renewed
        }
    }

    public func complete(_ claim: Claim, outcome: String?, effect: (any ClaimTransaction) throws(CatalogError) -> Void) throws(CatalogError) {
        try write { db in
            // The item first: once its row is changed, no other writer can take it until commit.
            try Self.changeClaimed(db, claim, path: path, "state = \(sqlLiteral(WorkState.done)), lease_until = NULL, finished = ?, outcome = ?",
                                   [systemClock(), outcome])
            try effect(SQLiteClaimTransaction(db: db, path: path))
        }
    }

    public func release(_ claim: Claim, reason: String?) throws(CatalogError) {
        try write { db in
            try Self.changeClaimed(db, claim, path: path, "state = \(sqlLiteral(WorkState.queued)), lease_until = NULL, outcome = ?", [reason])
        }
    }

    public func fail(_ claim: Claim, reason: String) throws(CatalogError) {
        try write { db in
            try Self.changeClaimed(db, claim, path: path, "state = \(sqlLiteral(WorkState.failed)), lease_until = NULL, finished = ?, outcome = ?",
                                   [systemClock(), reason])
        }
    }

    public func workItems(queue: String) throws(CatalogError) -> [WorkItemRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, item, payload, state, claimer, attempts, lease_until, enqueued, claimed, finished, outcome
                FROM work_items WHERE queue = ? ORDER BY id
                """, arguments: [queue]).map { r in
                guard let state = WorkState(rawValue: r[3]) else {
                    throw CatalogError(path: path, kind: .corrupt, message: "work item \(r[0] as Int64) of queue '\(queue)' has an unknown state '\(r[3] as String)'")
                }
                return WorkItemRecord(id: r[0], queue: queue, item: WorkItem(key: r[1], payload: r[2]), state: state, claimer: r[4], attempts: r[5],
                                      leaseUntil: (r[6] as Int64?).map(Instant.init(microseconds:)), enqueued: Instant(microseconds: r[7]),
                                      claimed: (r[8] as Int64?).map(Instant.init(microseconds:)), finished: (r[9] as Int64?).map(Instant.init(microseconds:)),
                                      outcome: r[10])
            }
        }
    }

    /// Changes a claimed item only while `claim` still holds it (its token is the item's),
    /// else throws `leaseLost`.
    private static func changeClaimed(_ db: Database, _ claim: Claim, path: String, _ set: String, _ values: StatementArguments) throws {
        try db.execute(sql: "UPDATE work_items SET \(set) WHERE id = ? AND token = ? AND state = \(sqlLiteral(WorkState.claimed))",
                       arguments: values + [claim.id, claim.token])
        guard db.changesCount == 1 else { throw CatalogError.leaseLost(claim, path: path) }
    }
}

/// The writes a worker's effect may make inside the completing transaction.
struct SQLiteClaimTransaction: ClaimTransaction {
    let db: Database
    let path: String

    func enqueue(_ items: [WorkItem], queue: String) throws(CatalogError) -> Int {
        do { return try insert(items, queue: queue) } catch { throw CatalogError(path: path, error) }
    }

    func insert(_ items: [WorkItem], queue: String) throws -> Int {
        let now = systemClock()
        var added = 0
        let statement = try db.cachedStatement(sql: "INSERT INTO work_items (queue, item, payload, enqueued) VALUES (?, ?, ?, ?) ON CONFLICT (queue, item) DO NOTHING")
        for item in items {
            try statement.execute(arguments: [queue, item.key, item.payload, now])
            added += db.changesCount
        }
        return added
    }
}

/// Now on this host's clock, in microseconds: an SQLite catalog has one host.
private func systemClock() -> Int64 { Instant(secondsSince1970: Date().timeIntervalSince1970).microseconds }
