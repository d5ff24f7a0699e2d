import Foundation
import GRDB

/// The copy store on SQLite. Each operation is one write transaction (`BEGIN IMMEDIATE`: one
/// writer for the whole file), so two claimers never see the same copy claimable; the token
/// is compared in the statement that finishes a copy.
extension SQLiteCatalog: CopyStore {
    public func queueCopies(_ requests: [CopyRequest], at: Instant) throws(CatalogError) -> [Int64?] {
        try write { db in
            var hostIDs: [String: Int64] = [:]
            let insert = try db.cachedStatement(sql: """
                INSERT INTO copies (dataset_id, host_id, path, queued) VALUES (?, ?, ?, ?)
                ON CONFLICT (dataset_id, host_id) DO NOTHING
                """)
            return try requests.map { r in
                guard let host = try hostIDs[r.host] ?? Int64.fetchOne(db, sql: "SELECT id FROM hosts WHERE name = ?", arguments: [r.host]) else {
                    throw CatalogError.noSuchHost(r.host, path: path)
                }
                hostIDs[r.host] = host
                try insert.execute(arguments: [r.dataset, host, Data(r.path), at.microseconds])
                return db.changesCount == 1 ? db.lastInsertedRowID : nil
            }
        }
    }

    public func claimCopies(host: String, worker: String, lease: Int64, limit: Int) throws(CatalogError) -> [CopyClaim] {
        guard lease > 0 else { throw .nonPositiveLease(lease, path: path) }
        guard limit > 0 else { return [] }
        let token = Int64.random(in: 1...Int64.max)
        return try write { db in
            let now = copyClock()
            let until = now &+ lease
            let rows = try Row.fetchAll(db, sql: """
                UPDATE copies SET state = 'run', claimer = ?, token = ?, lease_until = ?, attempts = attempts + 1
                WHERE id IN (SELECT c.id FROM copies c JOIN hosts h ON h.id = c.host_id
                             WHERE h.name = ? AND h.state = 'up' AND h.enabled = 1
                               AND (c.state = 'new' OR (c.state = 'run' AND c.lease_until <= ?))
                             ORDER BY c.id LIMIT ?)
                RETURNING id, dataset_id, path, attempts, (SELECT name FROM datasets WHERE id = dataset_id)
                """, arguments: [worker, token, until, host, now, limit])
            return rows.map { r in
                CopyClaim(id: r[0], dataset: r[1], datasetName: r[4], host: host, path: [UInt8](r[2] as Data), worker: worker, token: token,
                          leaseUntil: Instant(microseconds: until), attempts: r[3])
            }.sorted { $0.id < $1.id }
        }
    }

    public func renewCopies(_ claims: [CopyClaim], lease: Int64) throws(CatalogError) -> [CopyClaim] {
        guard lease > 0 else { throw .nonPositiveLease(lease, path: path) }
        let (renewed, lost) = try write { db in
            let until = copyClock() &+ lease
            var lost: CopyClaim?
            let renewed = try claims.map { c in
                try db.execute(sql: "UPDATE copies SET lease_until = ? WHERE id = ? AND token = ? AND state = 'run'", arguments: [until, c.id, c.token])
                if db.changesCount != 1 { lost = lost ?? c }
                var r = c
                r.leaseUntil = Instant(microseconds: until)
                return r
            }
            // The renewals of the claims still held are kept: commit, then say which was lost.
            return (renewed, lost)
        }
        if let lost { throw .copyLeaseLost(lost, path: path) }
        return renewed
    }

    public func finishCopy(_ claim: CopyClaim, _ outcome: CopyOutcome, at: Instant) throws(CatalogError) {
        guard try finishCopies([(claim, outcome)], at: at)[0] else { throw .copyLeaseLost(claim, path: path) }
    }

    public func finishCopies(_ finishes: [(claim: CopyClaim, outcome: CopyOutcome)], at: Instant) throws(CatalogError) -> [Bool] {
        try write { db in
            try finishes.map { f in
                let (set, values) = Self.finishing(f.outcome, at: at)
                try db.cachedStatement(sql: "UPDATE copies SET \(set), claimer = NULL, token = NULL, lease_until = NULL WHERE id = ? AND token = ? AND state = 'run'")
                    .execute(arguments: values + [f.claim.id, f.claim.token])
                return db.changesCount == 1
            }
        }
    }

    public func copies(_ filter: CopyFilter) throws(CatalogError) -> [CopyRecord] {
        try read { db in try Self.fetchCopies(db, filter, path: path) }
    }

    public func dropCopies(host: String, datasets: [Int64]?) throws(CatalogError) -> [CopyRecord] {
        try write { db in
            let dropped = try Self.fetchCopies(db, CopyFilter(hosts: [host], datasets: datasets), path: path)
            for chunk in dropped.map(\.id).chunked(500) {
                try db.execute(sql: "DELETE FROM copies WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments(chunk))
            }
            return dropped
        }
    }

    public func revertCopies(_ ids: [Int64], at: Instant) throws(CatalogError) -> [CopyRecord] {
        try write { db in
            let wanted = Set(ids)
            let reverted = try Self.fetchCopies(db, CopyFilter(state: .fault), path: path).filter { wanted.contains($0.id) }
            let update = try db.cachedStatement(sql: """
                UPDATE copies SET state = 'new', fault = NULL, verified = 0, claimer = NULL, token = NULL, lease_until = NULL, message = ?
                WHERE id = ? AND state = 'fault'
                """)
            for c in reverted {
                try update.execute(arguments: [c.revertMessage(at: at), c.id])
            }
            return reverted
        }
    }

    public func copySources(datasets: [Int64]) throws(CatalogError) -> [Int64: [CopySource]] {
        guard !datasets.isEmpty else { return [:] }
        let ids = String(decoding: (try? JSONEncoder().encode(datasets)) ?? Data("[]".utf8), as: UTF8.self)
        return try read { db in
            var sources: [Int64: [CopySource]] = [:]
            // A batch's 10,000 rows: read through the C API (GRDB's rows cost twice the query).
            let rows = FastStatement(try db.cachedStatement(sql: """
                SELECT f.dataset_id, r.path, d.path, f.name, f.size FROM files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
                WHERE f.dataset_id IN (SELECT value FROM json_each(?)) AND f.state = 0 ORDER BY f.dataset_id, r.id, d.path, f.name
                """))
            rows.bind(1, ids)
            try rows.forEachRow { r in
                sources[r.int64(0), default: []].add(root: r.blob(1), file: r.blob(2).appendingComponent(r.blob(3)), bytes: r.int64(4))
            }
            return sources
        }
    }

    public func copySwitches() throws(CatalogError) -> CopySwitches {
        try read { db in
            let paused = try Row.fetchAll(db, sql: "SELECT name, paused FROM copy_switches").reduce(into: [String: Bool]()) { $0[$1[0]] = ($1[1] as Int64) != 0 }
            return CopySwitches(queuePaused: paused[CopyPart.queue.rawValue] ?? false, runPaused: paused[CopyPart.run.rawValue] ?? false)
        }
    }

    public func setCopySwitch(_ part: CopyPart, paused: Bool, by: String, at: Instant) throws(CatalogError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO copy_switches (name, paused, changed, by) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, changed = excluded.changed, by = excluded.by
                """, arguments: [part.rawValue, paused ? 1 : 0, at.microseconds, by])
        }
    }

    /// The assignments that record `outcome`, and their values.
    private static func finishing(_ outcome: CopyOutcome, at: Instant) -> (String, StatementArguments) {
        switch outcome {
        case .full(let bytes, let seconds, let verified, let message):
            return ("state = 'full', fault = NULL, bytes = ?, epoch = ?, dtime = ?, verified = ?, message = ?",
                    [bytes, at.microseconds, seconds, verified ? 1 : 0, message])
        case .fault(let code, let bytes, let seconds, let message):
            return ("state = 'fault', fault = ?, bytes = ?, epoch = ?, dtime = ?, verified = 0, message = ?",
                    [code.rawValue, bytes, at.microseconds, seconds, message])
        case .requeue(let message):
            return ("state = 'new', message = ?", [message])
        }
    }

    /// The copies matching `filter`, by id, read within `db`'s transaction.
    private static func fetchCopies(_ db: Database, _ filter: CopyFilter, path: String) throws -> [CopyRecord] {
        var sql = """
            SELECT c.id, c.dataset_id, x.name, ds.name, ds.category, h.name, c.path, c.state, c.fault, c.bytes, c.epoch, c.dtime,
                   c.attempts, c.message, c.verified, c.queued, c.claimer, c.lease_until
            FROM copies c JOIN hosts h ON h.id = c.host_id JOIN datasets ds ON ds.id = c.dataset_id JOIN contexts x ON x.id = ds.context_id
            WHERE (?1 IS NULL OR c.state = ?1)
            """
        var arguments: StatementArguments = [filter.state?.rawValue]
        if let hosts = filter.hosts {
            sql += " AND h.name IN (\(hosts.map { _ in "?" }.joined(separator: ",")))"
            arguments += StatementArguments(hosts)
        }
        if let datasets = filter.datasets {
            // Many ids (a policy's whole candidate list): through a temporary list, not a huge IN.
            sql += " AND c.dataset_id IN (SELECT value FROM json_each(?))"
            arguments += [String(decoding: try JSONEncoder().encode(datasets), as: UTF8.self)]
        }
        sql += " ORDER BY c.id"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { r in
            guard let state = CopyState(rawValue: r[7]) else {
                throw CatalogError(path: path, kind: .corrupt, message: "copy \(r[0] as Int64) has an unknown state '\(r[7] as String)'")
            }
            return CopyRecord(id: r[0], dataset: r[1], context: r[2], datasetName: r[3], category: r[4], host: r[5], path: [UInt8](r[6] as Data),
                              state: state, fault: (r[8] as Int?).flatMap(FaultCode.init(rawValue:)), bytes: r[9],
                              epoch: (r[10] as Int64?).map(Instant.init(microseconds:)), dtime: r[11], attempts: r[12], message: r[13],
                              verified: (r[14] as Int64) != 0, queued: Instant(microseconds: r[15]), claimer: r[16],
                              leaseUntil: (r[17] as Int64?).map(Instant.init(microseconds:)))
        }
    }
}

extension Array {
    /// The elements in runs of at most `size`.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

/// Now on this host's clock, in microseconds: an SQLite catalog has one host.
private func copyClock() -> Int64 { Instant(secondsSince1970: Date().timeIntervalSince1970).microseconds }
