import PostgresNIO
import TidemarkCore

/// Requests and dependents on PostgreSQL: as on SQLite (SQLiteCatalog+Requests.swift), with
/// claims taken `FOR UPDATE SKIP LOCKED` under leases on the server's clock, so runs on two
/// hosts never start one update; every state change journaled in the same transaction.
extension PostgresCatalog: RequestStore {
    public func addRequest(_ spec: RequestSpec, at: Instant, by: String) throws(CatalogError) -> Int64 {
        try addRequests([spec], at: at, by: by)[0]
    }

    public func addRequests(_ specs: [RequestSpec], at: Instant, by: String) throws(CatalogError) -> [Int64] {
        try session.transaction { () throws(CatalogError) -> [Int64] in
            var ids: [Int64] = []
            for spec in specs {
                let id = try int(rows("""
                    INSERT INTO requests (context, categories, stream, start, "end", label, priority, source, created, changed)
                    VALUES (\(spec.context), \(spec.categories.joined(separator: ",")), \(spec.stream), \(spec.window.begin?.microseconds),
                            \(spec.window.end?.microseconds), \(spec.label), \(Int64(spec.priority)), \(spec.source), \(at.microseconds), \(at.microseconds))
                    RETURNING id
                    """))
                try event("request", id, from: nil, to: .new, fault: nil, at: at, by: by, detail: nil)
                ids.append(id)
            }
            return ids
        }
    }

    public func selectFiles(_ spec: RequestSpec) throws(CatalogError) -> [RequestedFile] {
        let lo = spec.window.lo, hi = spec.window.hi
        let overlap: PostgresQuery = spec.window.isInstant
            ? "f.start <= \(hi) AND (f.\"end\" > \(lo) OR (f.start = f.\"end\" AND f.start = \(lo)))"
            : "f.start < \(hi) AND (f.\"end\" > \(lo) OR (f.start = f.\"end\" AND f.start >= \(lo)))"
        var binds = overlap.binds
        binds.append(lo)
        binds.append(spec.context)
        binds.append(spec.categories)
        let n = binds.count
        var sql = """
            SELECT \(Self.requestFileColumns), dep.id, dep.state
            FROM streams s JOIN contexts c ON c.id = s.context_id
            CROSS JOIN LATERAL (SELECT * FROM files f WHERE f.stream_id = s.id AND f.start >= $\(n - 2) - s.max_duration AND \(overlap.sql) OFFSET 0) f
            JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            LEFT JOIN dependents dep ON dep.file_id = f.id
            WHERE c.name = $\(n - 1) AND s.category = ANY($\(n)::text[])
            """
        if let stream = spec.stream {
            binds.append(stream)
            sql += " AND s.name = $\(n + 1)"
        }
        sql += " ORDER BY s.category COLLATE \"C\", s.name COLLATE \"C\", f.start, f.id"
        return try cells(PostgresQuery(unsafeSQL: sql, binds: binds)) { c in
            var f = try Self.requestedFile(c, 0)
            f.dependent = try c.optionalInt(12)
            f.dependentState = try c.optionalText(13).flatMap(RequestState.init(rawValue:))
            return f
        }
    }

    public func recordResolution(_ r: RequestResolution, at: Instant, by: String) throws(CatalogError) -> Bool {
        try session.transaction { () throws(CatalogError) -> Bool in try record(r, at: at, by: by) }
    }

    public func resolveRequests(_ pending: [PendingRequest], at: Instant, by: String,
                                classify: (PendingRequest, [RequestedFile]) -> RequestResolution) throws(CatalogError) -> [Bool] {
        try session.transaction { () throws(CatalogError) -> [Bool] in
            var done: [Bool] = []
            for p in pending {
                let r: RequestResolution
                if let verdict = p.verdict { r = verdict } else { r = classify(p, try selectFiles(p.spec)) }
                done.append(try record(r, at: at, by: by))
            }
            return done
        }
    }

    /// Records a resolution in the caller's transaction (see `recordResolution`).
    private func record(_ r: RequestResolution, at: Instant, by: String) throws(CatalogError) -> Bool {
        let moved = try rows("""
            UPDATE requests SET state = \(r.state.rawValue), fault = \(r.fault.map(Int32.init)), message = \(r.message), changed = \(at.microseconds)
            WHERE id = \(r.request) AND state = 'new' RETURNING id
            """)
        guard !moved.isEmpty else { return false }
        try event("request", r.request, from: .new, to: r.state, fault: r.fault, at: at, by: by, detail: r.message)
        try rows("""
            INSERT INTO request_files (request_id, file_id) SELECT \(r.request), unnest(\(r.files)::bigint[]) ON CONFLICT DO NOTHING
            """)
        for d in r.dependents {
            let ids = try rows("""
                INSERT INTO dependents (file_id, need_start, need_end, created, changed)
                VALUES (\(d.file), \(d.need?.start.microseconds), \(d.need?.end.microseconds), \(at.microseconds), \(at.microseconds))
                ON CONFLICT (file_id) DO UPDATE SET state = 'new', fault = NULL, message = NULL, attempts = 0, claimer = NULL,
                    token = NULL, lease_until = NULL, need_start = excluded.need_start, need_end = excluded.need_end, changed = excluded.changed
                WHERE dependents.state = 'full' AND (SELECT state FROM files WHERE id = dependents.file_id) = 3
                RETURNING id
                """)
            for row in ids {
                try event("dependent", try catching { try row.decode(Int64.self) }, from: nil, to: .new, fault: nil, at: at, by: by,
                          detail: "needed by request \(r.request)")
            }
        }
        return true
    }

    public func requests(_ filter: RequestFilter) throws(CatalogError) -> [RequestRecord] {
        try requestRows("(\(filter.id)::bigint IS NULL OR q.id = \(filter.id)) AND (\(filter.state?.rawValue)::text IS NULL OR q.state = \(filter.state?.rawValue))")
    }

    public func requests(ids: [Int64]) throws(CatalogError) -> [RequestRecord] {
        guard !ids.isEmpty else { return [] }
        let byId = Dictionary(try requestRows("q.id = ANY(\(ids)::bigint[])").map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return ids.compactMap { byId[$0] }
    }

    /// The requests `condition` (over requests `q`, its binds its own) selects, by id.
    private func requestRows(_ condition: PostgresQuery) throws(CatalogError) -> [RequestRecord] {
        try cells(PostgresQuery(unsafeSQL: """
            SELECT q.id, q.context, q.categories, q.stream, q.start, q."end", q.label, q.priority, q.source, q.state, q.fault, q.message,
                   (SELECT count(*) FROM request_files rf WHERE rf.request_id = q.id),
                   (SELECT count(*) FROM request_files rf JOIN files f ON f.id = rf.file_id LEFT JOIN dependents dep ON dep.file_id = f.id
                    WHERE rf.request_id = q.id AND (f.state = 0 OR dep.state = 'full')),
                   (SELECT count(*) FROM request_files rf JOIN dependents dep ON dep.file_id = rf.file_id WHERE rf.request_id = q.id),
                   q.created, q.changed, q.finished, q.pinned_until
            FROM requests q WHERE \(condition.sql)
            ORDER BY q.id
            """, binds: condition.binds)) { c in
            let id = try c.int(0)
            guard let state = RequestState(rawValue: try c.text(9)) else {
                throw CatalogError(path: url.masked, kind: .corrupt, message: "request \(id) has an unknown state")
            }
            let spec = RequestSpec(context: try c.text(1), categories: try c.text(2).split(separator: ",").map(String.init),
                                   stream: try c.optionalText(3),
                                   window: TimeWindow(begin: try c.optionalInt(4).map(Instant.init(microseconds:)),
                                                      end: try c.optionalInt(5).map(Instant.init(microseconds:))),
                                   label: try c.optionalText(6), priority: Int(try c.int(7)), source: try c.optionalText(8))
            return RequestRecord(id: id, spec: spec, state: state, fault: try c.optionalInt(10).map(Int.init), message: try c.optionalText(11),
                                 files: Int(try c.int(12)), ready: Int(try c.int(13)), dependents: Int(try c.int(14)),
                                 created: Instant(microseconds: try c.int(15)), changed: Instant(microseconds: try c.int(16)),
                                 finished: try c.optionalInt(17).map(Instant.init(microseconds:)),
                                 pinnedUntil: try c.optionalInt(18).map(Instant.init(microseconds:)))
        }
    }

    public func requestFiles(_ id: Int64) throws(CatalogError) -> [RequestedFile] {
        try cells("""
            SELECT \(unescaped: Self.requestFileColumns), dep.id, dep.state
            FROM request_files rf JOIN files f ON f.id = rf.file_id JOIN streams s ON s.id = f.stream_id
            JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id LEFT JOIN dependents dep ON dep.file_id = f.id
            WHERE rf.request_id = \(id) ORDER BY s.category COLLATE "C", s.name COLLATE "C", f.start, f.id
            """) { c in
            var f = try Self.requestedFile(c, 0)
            f.dependent = try c.optionalInt(12)
            f.dependentState = try c.optionalText(13).flatMap(RequestState.init(rawValue:))
            return f
        }
    }

    public func dependents(_ filter: DependentFilter) throws(CatalogError) -> [DependentRecord] {
        try dependents(filter, ids: nil)
    }

    public func claimDependents(worker: String, lease: Int64, limit: Int, categories: Set<String>?) throws(CatalogError) -> [DependentClaim] {
        guard lease > 0 else { throw CatalogError(path: url.masked, message: "a claim's lease must be positive, not \(lease) microseconds") }
        guard limit > 0 else { return [] }
        let token = Int64.random(in: 1...Int64.max)
        let only = categories.map { Array($0).sorted() }
        return try session.transaction { () throws(CatalogError) -> [DependentClaim] in
            let now = "(extract(epoch FROM statement_timestamp()) * 1000000)::bigint"
            let rows = try rows("""
                UPDATE dependents SET state = 'run', claimer = \(worker), token = \(token), lease_until = \(unescaped: now) + \(lease),
                       attempts = attempts + 1, changed = \(unescaped: now)
                WHERE id IN (SELECT dep.id FROM dependents dep JOIN files f ON f.id = dep.file_id JOIN streams s ON s.id = f.stream_id
                             WHERE (dep.state = 'new' OR (dep.state = 'run' AND dep.lease_until <= \(unescaped: now)))
                               AND (\(only == nil) OR s.category = ANY(\(only ?? [])::text[]))
                               AND EXISTS (SELECT 1 FROM request_files rf JOIN requests q ON q.id = rf.request_id
                                           WHERE rf.file_id = dep.file_id AND q.state = 'run')
                             ORDER BY (SELECT max(q.priority) FROM request_files rf JOIN requests q ON q.id = rf.request_id
                                       WHERE rf.file_id = dep.file_id AND q.state = 'run') DESC NULLS LAST, dep.id
                             LIMIT \(Int64(limit)) FOR UPDATE OF dep SKIP LOCKED)
                RETURNING id, attempts, changed
                """)
            var attempts: [Int64: Int] = [:]
            for row in rows {
                let (id, n, at) = try catching { try row.decode((Int64, Int, Int64).self) }
                attempts[id] = n
                try event("dependent", id, from: n == 1 ? .new : .run, to: .run, fault: nil, at: Instant(microseconds: at), by: worker,
                          detail: n == 1 ? "claimed" : "claimed again (attempt \(n)): the lease of an earlier claim ran out")
            }
            return try dependents(DependentFilter(), ids: Array(attempts.keys)).map {
                DependentClaim(dependent: $0, worker: worker, token: token, attempts: attempts[$0.id] ?? $0.attempts)
            }
        }
    }

    public func finishDependent(_ claim: DependentClaim, _ outcome: DependentOutcome, at: Instant, by: String) throws(CatalogError) -> Bool {
        let (state, fault, message): (RequestState, Int?, String?) = switch outcome {
        case .full(let m): (.full, nil, m)
        case .fault(let code, let m): (.fault, code, m)
        }
        return try session.transaction { () throws(CatalogError) -> Bool in
            let moved = try rows("""
                UPDATE dependents SET state = \(state.rawValue), fault = \(fault.map(Int32.init)), message = \(message), lease_until = NULL,
                       changed = \(at.microseconds), finished = \(at.microseconds)
                WHERE id = \(claim.dependent.id) AND token = \(claim.token) AND state = 'run' RETURNING id
                """)
            guard !moved.isEmpty else { return false }
            try event("dependent", claim.dependent.id, from: .run, to: state, fault: fault, at: at, by: by, detail: message)
            return true
        }
    }

    public func settleRequests(at: Instant, grace: [String: Int64], defaultGrace: Int64, by: String) throws(CatalogError) -> [RequestRecord] {
        let moved = try session.transaction { () throws(CatalogError) -> [Int64] in
            var moved: [Int64] = []
            let faulted = try rows("""
                SELECT q.id, dep.id, dep.fault, dep.message FROM requests q JOIN request_files rf ON rf.request_id = q.id
                JOIN dependents dep ON dep.file_id = rf.file_id JOIN files f ON f.id = dep.file_id
                WHERE q.state = 'run' AND dep.state = 'fault' AND f.state <> 0 ORDER BY q.id, dep.id FOR UPDATE OF q
                """)
            for row in faulted {
                let (id, dep, code, why) = try catching { try row.decode((Int64, Int64, Int?, String?).self) }
                guard !moved.contains(id) else { continue }
                let message = "dependent \(dep) faulted: \(why ?? "")"
                let fault = code ?? FaultCode.unknown.rawValue
                try rows("""
                    UPDATE requests SET state = 'fault', fault = \(Int32(fault)), message = \(message), blocked_by = \(dep), changed = \(at.microseconds)
                    WHERE id = \(id)
                    """)
                try event("request", id, from: .run, to: .fault, fault: fault, at: at, by: by, detail: message)
                moved.append(id)
            }
            // A file that went (missing, or removed by hand) after it was found live cannot come back.
            let lost = try rows("""
                SELECT q.id, min(f.id) FROM requests q JOIN request_files rf ON rf.request_id = q.id JOIN files f ON f.id = rf.file_id
                LEFT JOIN dependents dep ON dep.file_id = f.id
                WHERE q.state = 'run' AND f.state <> 0 AND dep.id IS NULL GROUP BY q.id ORDER BY q.id
                """)
            for row in lost {
                let (id, file) = try catching { try row.decode((Int64, Int64).self) }
                guard !moved.contains(id) else { continue }
                let what = try cells("""
                    SELECT \(unescaped: Self.requestFileColumns) FROM files f JOIN streams s ON s.id = f.stream_id
                    JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id WHERE f.id = \(file)
                    """) { c in try Self.requestedFile(c, 0) }.first.map { "\($0.path.displayPath) is \($0.state.name)" } ?? "gone"
                let message = "needs file \(file), which went after the request was resolved (\(what)) and has no dependent to bring it back"
                _ = try rows("""
                    UPDATE requests SET state = 'fault', fault = \(Int32(RequestFault.gone)), message = \(message), changed = \(at.microseconds)
                    WHERE id = \(id)
                    """)
                try event("request", id, from: .run, to: .fault, fault: RequestFault.gone, at: at, by: by, detail: message)
                moved.append(id)
            }
            let full = try rows("""
                SELECT q.id, q.context FROM requests q WHERE q.state = 'run' AND NOT EXISTS (
                    SELECT 1 FROM request_files rf JOIN files f ON f.id = rf.file_id LEFT JOIN dependents dep ON dep.file_id = f.id
                    WHERE rf.request_id = q.id AND f.state <> 0 AND (dep.state IS NULL OR dep.state <> 'full'))
                ORDER BY q.id FOR UPDATE OF q
                """)
            for row in full {
                let (id, context) = try catching { try row.decode((Int64, String).self) }
                let until = at.microseconds &+ (grace[context] ?? defaultGrace)
                try rows("""
                    UPDATE requests SET state = 'full', fault = NULL, message = NULL, changed = \(at.microseconds), finished = \(at.microseconds),
                           pinned_until = \(until) WHERE id = \(id)
                    """)
                try event("request", id, from: .run, to: .full, fault: nil, at: at, by: by, detail: nil)
                moved.append(id)
            }
            return moved
        }
        return try requests(ids: moved)
    }

    public func settleRegenerated(at: Instant, by: String) throws(CatalogError) -> Int {
        try session.transaction { () throws(CatalogError) -> Int in
            let rows = try rows("""
                UPDATE dependents SET state = 'full', fault = NULL, lease_until = NULL, changed = \(at.microseconds), finished = \(at.microseconds),
                       message = 'found back live by a scan'
                WHERE (state IN ('new', 'fault') OR (state = 'run' AND lease_until <= \(at.microseconds)))
                  AND EXISTS (SELECT 1 FROM files f WHERE f.id = dependents.file_id AND f.state = 0
                              AND (dependents.need_start IS NULL OR (f.start IS NOT NULL
                                   AND ((f.start < dependents.need_end AND f."end" > dependents.need_start) OR f.start = dependents.need_start))))
                RETURNING id
                """)
            for row in rows {
                try event("dependent", try catching { try row.decode(Int64.self) }, from: nil, to: .full, fault: nil, at: at, by: by,
                          detail: "found back live by a scan")
            }
            return rows.count
        }
    }

    public func revertDependents(faults: Set<Int>, at: Instant, by: String) throws(CatalogError) -> [DependentRecord] {
        let ids = try session.transaction { () throws(CatalogError) -> [Int64] in
            let ids = try revertFaultedDependents(faults: faults, requests: nil, at: at, by: by)
            let requests = try rows("""
                UPDATE requests SET state = 'run', fault = NULL, message = NULL, blocked_by = NULL, changed = \(at.microseconds)
                WHERE state = 'fault' AND blocked_by = ANY(\(ids)::bigint[]) RETURNING id
                """)
            for row in requests {
                try event("request", try catching { try row.decode(Int64.self) }, from: .fault, to: .run, fault: nil, at: at, by: by,
                          detail: "its dependent was reverted")
            }
            return ids
        }
        return try dependents(DependentFilter(), ids: ids)
    }

    public func revertRequests(faults: Set<Int>, at: Instant, by: String) throws(CatalogError) -> [RequestRecord] {
        let ids = try session.transaction { () throws(CatalogError) -> [Int64] in
            let rows = try rows("""
                UPDATE requests SET state = 'new', fault = NULL, message = NULL, blocked_by = NULL, changed = \(at.microseconds)
                WHERE state = 'fault' AND fault = ANY(\(faults.sorted().map(Int32.init))::integer[]) RETURNING id
                """)
            let ids = try catching { try rows.map { try $0.decode(Int64.self) } }.sorted()
            for id in ids { try event("request", id, from: .fault, to: .new, fault: nil, at: at, by: by, detail: "reverted") }
            if !ids.isEmpty { _ = try revertFaultedDependents(faults: faults, requests: ids, at: at, by: by) }
            return ids
        }
        return try requests(ids: ids)
    }

    // MARK: helpers

    /// The columns `requestedFile` reads, over files `f`, streams `s`, dirs `d` and roots `r`.
    static let requestFileColumns = """
        f.id, r.path, d.path, f.name, s.category, s.name, f.start, f."end", f.state, f.gone_at, f.gone_scan, f.gone_run
        """

    static func requestedFile(_ c: Cells, _ at: Int) throws -> RequestedFile {
        let root = try c.bytes(at + 1), dir = try c.bytes(at + 2), name = try c.bytes(at + 3)
        let start = try c.optionalInt(at + 6), end = try c.optionalInt(at + 7)
        let state = FileState(rawValue: Int(try c.int(at + 8))) ?? .live
        let goneBy: String? = state == .missing ? try c.optionalInt(at + 10).map { "scan \($0)" }
            : state.isGone ? try c.optionalInt(at + 11).map { "policy run \($0)" } : nil
        return RequestedFile(id: try c.int(at), path: (dir.isEmpty ? root : root.appendingComponent(dir)).appendingComponent(name), root: root,
                             category: try c.text(at + 4), stream: try c.text(at + 5),
                             coverage: start.map { Coverage(start: Instant(microseconds: $0), end: Instant(microseconds: end ?? $0)) },
                             state: state, goneAt: try c.optionalInt(at + 9).map(Instant.init(microseconds:)), goneBy: goneBy)
    }

    private func dependents(_ filter: DependentFilter, ids: [Int64]?) throws(CatalogError) -> [DependentRecord] {
        if let ids, ids.isEmpty { return [] }
        return try cells("""
            SELECT \(unescaped: Self.requestFileColumns), c.name, dep.id, dep.need_start, dep.need_end, dep.state, dep.fault, dep.message,
                   dep.claimer, dep.attempts, dep.created, dep.changed,
                   (SELECT string_agg(request_id::text, ',' ORDER BY request_id) FROM request_files rf WHERE rf.file_id = dep.file_id)
            FROM dependents dep JOIN files f ON f.id = dep.file_id JOIN streams s ON s.id = f.stream_id JOIN contexts c ON c.id = s.context_id
            JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            WHERE (\(filter.id)::bigint IS NULL OR dep.id = \(filter.id)) AND (\(filter.state?.rawValue)::text IS NULL OR dep.state = \(filter.state?.rawValue))
              AND (\(filter.request)::bigint IS NULL OR dep.file_id IN (SELECT file_id FROM request_files WHERE request_id = \(filter.request)))
              AND (\(ids == nil) OR dep.id = ANY(\(ids ?? [])::bigint[]))
            ORDER BY dep.id
            """) { c in
            let id = try c.int(13)
            guard let state = RequestState(rawValue: try c.text(16)) else {
                throw CatalogError(path: url.masked, kind: .corrupt, message: "dependent \(id) has an unknown state")
            }
            let s = try c.optionalInt(14), e = try c.optionalInt(15)
            return DependentRecord(id: id, file: try Self.requestedFile(c, 0), context: try c.text(12),
                                   need: s.map { Coverage(start: Instant(microseconds: $0), end: Instant(microseconds: e ?? $0)) },
                                   state: state, fault: try c.optionalInt(17).map(Int.init), message: try c.optionalText(18),
                                   requests: (try c.optionalText(23)).map { $0.split(separator: ",").compactMap { Int64($0) } } ?? [],
                                   claimer: try c.optionalText(19), attempts: Int(try c.int(20)),
                                   created: Instant(microseconds: try c.int(21)), changed: Instant(microseconds: try c.int(22)))
        }
    }

    /// Faulted dependents with one of `faults` (of `requests`, when given) back to `new`, journaled; their ids.
    private func revertFaultedDependents(faults: Set<Int>, requests: [Int64]?, at: Instant, by: String) throws(CatalogError) -> [Int64] {
        let rows = try rows("""
            UPDATE dependents SET state = 'new', fault = NULL, message = NULL, attempts = 0, claimer = NULL, token = NULL, lease_until = NULL,
                   changed = \(at.microseconds)
            WHERE state = 'fault' AND fault = ANY(\(faults.sorted().map(Int32.init))::integer[])
              AND (\(requests == nil) OR file_id IN (SELECT file_id FROM request_files WHERE request_id = ANY(\(requests ?? [])::bigint[])))
            RETURNING id
            """)
        let ids = try catching { try rows.map { try $0.decode(Int64.self) } }.sorted()
        for id in ids { try event("dependent", id, from: .fault, to: .new, fault: nil, at: at, by: by, detail: "reverted") }
        return ids
    }

    /// Journals one state change.
    private func event(_ object: String, _ id: Int64, from: RequestState?, to: RequestState, fault: Int?, at: Instant, by: String,
                       detail: String?) throws(CatalogError) {
        _ = try rows("""
            INSERT INTO request_events (at, object, object_id, from_state, to_state, fault, by, detail)
            VALUES (\(at.microseconds), \(object), \(id), \(from?.rawValue), \(to.rawValue), \(fault.map(Int32.init)), \(by), \(detail))
            """)
    }

    /// Each row's cells through `body`.
    private func cells<T>(_ query: PostgresQuery, _ body: (Cells) throws -> T) throws(CatalogError) -> [T] {
        let rows = try rows(query)
        do { return try rows.map { try body(Cells($0.makeRandomAccess(), url: url)) } } catch let e as CatalogError { throw e } catch {
            throw CatalogError(path: url.masked, kind: .corrupt, message: "a row of the requests' tables cannot be read: \(error)", cause: error)
        }
    }

    /// The first column of the first row, as an integer.
    private func int(_ rows: [PostgresRow]) throws(CatalogError) -> Int64 {
        guard let row = rows.first else { throw CatalogError(path: url.masked, kind: .corrupt, message: "a statement returned no row") }
        return try catching { try row.decode(Int64.self) }
    }
}
