import PostgresNIO
import TidemarkCore

/// The copy store on PostgreSQL. A claim is one statement that picks the host's oldest
/// claimable copies with `FOR UPDATE SKIP LOCKED` (rows another runner is taking are skipped,
/// not waited for) and marks them run under a fresh token; leases are on the server's clock.
/// Queuing relies on the unique key (dataset, host): `ON CONFLICT DO NOTHING`, never a check first.
extension PostgresCatalog: CopyStore {
    public func queueCopies(_ requests: [CopyRequest], at: Instant) throws(CatalogError) -> [Int64?] {
        guard !requests.isEmpty else { return [] }
        let names = Array(Set(requests.map(\.host)))
        let known = try catching {
            try rows("SELECT name, id FROM hosts WHERE name = ANY(\(names)::text[])").reduce(into: [String: Int64]()) {
                let (n, id) = try $1.decode((String, Int64).self)
                $0[n] = id
            }
        }
        if let missing = names.first(where: { known[$0] == nil }) { throw .noSuchHost(missing, path: url.masked) }
        // One statement for the batch; RETURNING names the rows added, by their ordinal.
        let added = try catching {
            try rows("""
                INSERT INTO copies (dataset_id, host_id, path, queued)
                SELECT d, h, p, \(at.microseconds)
                FROM unnest(\(requests.map(\.dataset))::bigint[], \(requests.map { known[$0.host]! })::bigint[],
                            \(requests.map { ByteBuffer(bytes: $0.path) })::bytea[]) WITH ORDINALITY AS t(d, h, p, n)
                ORDER BY n
                ON CONFLICT (dataset_id, host_id) DO NOTHING RETURNING id, dataset_id, host_id
                """).reduce(into: [String: Int64]()) {
                let (id, d, h) = try $1.decode((Int64, Int64, Int64).self)
                $0["\(d)/\(h)"] = id
            }
        }
        var seen = Set<String>()
        return requests.map { r in
            let key = "\(r.dataset)/\(known[r.host]!)"
            return seen.insert(key).inserted ? added[key] : nil
        }
    }

    public func claimCopies(host: String, worker: String, lease: Int64, limit: Int) throws(CatalogError) -> [CopyClaim] {
        guard lease > 0 else { throw .nonPositiveLease(lease, path: url.masked) }
        guard limit > 0 else { return [] }
        let token = Int64.random(in: 1...Int64.max)
        let rows = try rows("""
            UPDATE copies c SET state = 'run', claimer = \(worker), token = \(token),
                   lease_until = \(unescaped: Self.serverNow) + \(lease), attempts = c.attempts + 1
            FROM datasets ds
            WHERE ds.id = c.dataset_id AND c.id IN (
                SELECT k.id FROM copies k JOIN hosts h ON h.id = k.host_id
                WHERE h.name = \(host) AND h.state = 'up' AND h.enabled = 1
                  AND (k.state = 'new' OR (k.state = 'run' AND k.lease_until <= \(unescaped: Self.serverNow)))
                ORDER BY k.id LIMIT \(limit) FOR UPDATE OF k SKIP LOCKED)
            RETURNING c.id, c.dataset_id, ds.name, c.path, c.attempts, c.lease_until
            """)
        return try catching {
            try rows.map { row in
                let (id, dataset, name, path, attempts, until) = try row.decode((Int64, Int64, String, ByteBuffer, Int32, Int64).self)
                return CopyClaim(id: id, dataset: dataset, datasetName: name, host: host, path: Array(path.readableBytesView), worker: worker,
                                 token: token, leaseUntil: Instant(microseconds: until), attempts: Int(attempts))
            }.sorted { $0.id < $1.id }
        }
    }

    public func renewCopies(_ claims: [CopyClaim], lease: Int64) throws(CatalogError) -> [CopyClaim] {
        guard lease > 0 else { throw .nonPositiveLease(lease, path: url.masked) }
        guard !claims.isEmpty else { return [] }
        let rows = try rows("""
            UPDATE copies c SET lease_until = \(unescaped: Self.serverNow) + \(lease)
            FROM unnest(\(claims.map(\.id))::bigint[], \(claims.map(\.token))::bigint[]) AS t(id, token)
            WHERE c.id = t.id AND c.token = t.token AND c.state = 'run'
            RETURNING c.id, c.lease_until
            """)
        let until = try catching {
            try rows.reduce(into: [Int64: Int64]()) {
                let (id, u) = try $1.decode((Int64, Int64).self)
                $0[id] = u
            }
        }
        if let lost = claims.first(where: { until[$0.id] == nil }) { throw .copyLeaseLost(lost, path: url.masked) }
        return claims.map { c in
            var r = c
            r.leaseUntil = Instant(microseconds: until[c.id]!)
            return r
        }
    }

    public func finishCopy(_ claim: CopyClaim, _ outcome: CopyOutcome, at: Instant) throws(CatalogError) {
        guard try finishCopies([(claim, outcome)], at: at)[0] else { throw .copyLeaseLost(claim, path: url.masked) }
    }

    public func finishCopies(_ finishes: [(claim: CopyClaim, outcome: CopyOutcome)], at: Instant) throws(CatalogError) -> [Bool] {
        try transaction(.write) {
            try finishes.map { f in
                let guardSQL = "claimer = NULL, token = NULL, lease_until = NULL WHERE id = \(f.claim.id) AND token = \(f.claim.token) AND state = 'run' RETURNING id"
                switch f.outcome {
                case .full(let bytes, let seconds, let verified, let message):
                    return try !rows("""
                        UPDATE copies SET state = 'full', fault = NULL, bytes = \(bytes), epoch = \(at.microseconds), dtime = \(seconds),
                               verified = \(Int32(verified ? 1 : 0)), message = \(message), \(unescaped: guardSQL)
                        """).isEmpty
                case .fault(let code, let bytes, let seconds, let message):
                    return try !rows("""
                        UPDATE copies SET state = 'fault', fault = \(Int32(code.rawValue)), bytes = \(bytes), epoch = \(at.microseconds),
                               dtime = \(seconds), verified = 0, message = \(message), \(unescaped: guardSQL)
                        """).isEmpty
                case .requeue(let message):
                    return try !rows("UPDATE copies SET state = 'new', message = \(message), \(unescaped: guardSQL)").isEmpty
                }
            }
        }
    }

    public func copies(_ filter: CopyFilter) throws(CatalogError) -> [CopyRecord] {
        try fetchCopies(filter, lock: false)
    }

    public func dropCopies(host: String, datasets: [Int64]?) throws(CatalogError) -> [CopyRecord] {
        try transaction(.write) { () throws -> [CopyRecord] in
            let dropped = try fetchCopies(CopyFilter(hosts: [host], datasets: datasets), lock: true)
            try execute("DELETE FROM copies WHERE id = ANY(\(dropped.map(\.id))::bigint[])")
            return dropped
        }
    }

    public func revertCopies(_ ids: [Int64], at: Instant) throws(CatalogError) -> [CopyRecord] {
        try transaction(.write) { () throws -> [CopyRecord] in
            let wanted = Set(ids)
            let reverted = try fetchCopies(CopyFilter(state: .fault), lock: true).filter { wanted.contains($0.id) }
            try execute("""
                UPDATE copies c SET state = 'new', fault = NULL, verified = 0, claimer = NULL, token = NULL, lease_until = NULL, message = t.m
                FROM unnest(\(reverted.map(\.id))::bigint[], \(reverted.map { $0.revertMessage(at: at) })::text[]) AS t(id, m)
                WHERE c.id = t.id AND c.state = 'fault'
                """)
            return reverted
        }
    }

    public func copySources(datasets: [Int64]) throws(CatalogError) -> [Int64: [CopySource]] {
        guard !datasets.isEmpty else { return [:] }
        let rows = try rows("""
            SELECT f.dataset_id, r.path, d.path, f.name, f.size FROM files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            WHERE f.dataset_id = ANY(\(datasets)::bigint[]) AND f.state = 0 ORDER BY f.dataset_id, r.id, d.path, f.name
            """)
        return try catching {
            var sources: [Int64: [CopySource]] = [:]
            for row in rows {
                let (id, r, d, n, size) = try row.decode((Int64, ByteBuffer, ByteBuffer, ByteBuffer, Int64).self)
                sources[id, default: []].add(root: Array(r.readableBytesView),
                                             file: Array(d.readableBytesView).appendingComponent(Array(n.readableBytesView)), bytes: size)
            }
            return sources
        }
    }

    public func copySwitches() throws(CatalogError) -> CopySwitches {
        let paused = try catching {
            try rows("SELECT name, paused FROM copy_switches").reduce(into: [String: Bool]()) {
                let (n, p) = try $1.decode((String, Int32).self)
                $0[n] = p != 0
            }
        }
        return CopySwitches(queuePaused: paused[CopyPart.queue.rawValue] ?? false, runPaused: paused[CopyPart.run.rawValue] ?? false)
    }

    public func setCopySwitch(_ part: CopyPart, paused: Bool, by: String, at: Instant) throws(CatalogError) {
        try execute("""
            INSERT INTO copy_switches (name, paused, changed, by) VALUES (\(part.rawValue), \(Int32(paused ? 1 : 0)), \(at.microseconds), \(by))
            ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, changed = excluded.changed, by = excluded.by
            """)
    }

    /// The copies matching `filter`, by id; `lock`: their rows locked until the transaction ends.
    private func fetchCopies(_ filter: CopyFilter, lock: Bool) throws(CatalogError) -> [CopyRecord] {
        let rows = try rows("""
            SELECT c.id, c.dataset_id, x.name, ds.name, ds.category, h.name, c.path, c.state, c.fault, c.bytes, c.epoch, c.dtime,
                   c.attempts, c.message, c.verified, c.queued, c.claimer, c.lease_until
            FROM copies c JOIN hosts h ON h.id = c.host_id JOIN datasets ds ON ds.id = c.dataset_id JOIN contexts x ON x.id = ds.context_id
            WHERE (\(filter.state?.rawValue)::text IS NULL OR c.state = \(filter.state?.rawValue))
              AND (\(filter.hosts == nil) OR h.name = ANY(\(filter.hosts ?? [])::text[]))
              AND (\(filter.datasets == nil) OR c.dataset_id = ANY(\(filter.datasets ?? [])::bigint[]))
            ORDER BY c.id \(unescaped: lock ? "FOR UPDATE OF c" : "")
            """)
        return try catching {
            try rows.map { row in
                let (id, dataset, context, name, category, host, path, stateName, fault, bytes, epoch, dtime, attempts, message) =
                    try row.decode((Int64, Int64, String, String, String, String, ByteBuffer, String, Int32?, Int64, Int64?, Double?, Int32, String?).self)
                let cells = row.makeRandomAccess()
                let verified = try cells[14].decode(Int32.self)
                let queued = try cells[15].decode(Int64.self)
                let claimer = try cells[16].decode(String?.self)
                let until = try cells[17].decode(Int64?.self)
                guard let state = CopyState(rawValue: stateName) else {
                    throw CatalogError(path: url.masked, kind: .corrupt, message: "copy \(id) has an unknown state '\(stateName)'")
                }
                return CopyRecord(id: id, dataset: dataset, context: context, datasetName: name, category: category, host: host,
                                  path: Array(path.readableBytesView), state: state, fault: fault.flatMap { FaultCode(rawValue: Int($0)) },
                                  bytes: bytes, epoch: epoch.map(Instant.init(microseconds:)), dtime: dtime, attempts: Int(attempts),
                                  message: message, verified: verified != 0, queued: Instant(microseconds: queued), claimer: claimer,
                                  leaseUntil: until.map(Instant.init(microseconds:)))
            }
        }
    }
}
