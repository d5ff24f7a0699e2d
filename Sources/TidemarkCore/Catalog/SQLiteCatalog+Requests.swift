import Foundation
import GRDB

/// Requests and dependents on SQLite. Each change is one write transaction (`BEGIN
/// IMMEDIATE`: one writer for the whole file), so two runs never claim one dependent; the
/// claim's token is compared in the statement that ends it; every state change is journaled
/// in `request_events` within the same transaction.
extension SQLiteCatalog: RequestStore {
    public func addRequest(_ spec: RequestSpec, at: Instant, by: String) throws(CatalogError) -> Int64 {
        try addRequests([spec], at: at, by: by)[0]
    }

    public func addRequests(_ specs: [RequestSpec], at: Instant, by: String) throws(CatalogError) -> [Int64] {
        try write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO requests (context, categories, stream, start, "end", label, priority, source, created, changed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            return try specs.map { spec in
                try insert.execute(arguments: [spec.context, spec.categories.joined(separator: ","), spec.stream, spec.window.begin?.microseconds,
                                               spec.window.end?.microseconds, spec.label, spec.priority, spec.source, at.microseconds, at.microseconds])
                let id = db.lastInsertedRowID
                try Self.event(db, "request", id, from: nil, to: .new, fault: nil, at: at, by: by, detail: nil)
                return id
            }
        }
    }

    public func selectFiles(_ spec: RequestSpec) throws(CatalogError) -> [RequestedFile] {
        try read { db in try Self.selectFiles(db, spec) }
    }

    /// The direct query of `selectFiles`: one seek of the coverage index per stream of the
    /// spec's categories.
    static func selectFiles(_ db: Database, _ spec: RequestSpec) throws -> [RequestedFile] {
        let overlap = spec.window.isInstant
            ? "f.start <= ?2 AND (f.\"end\" > ?1 OR (f.start = f.\"end\" AND f.start = ?1))"
            : "f.start < ?2 AND (f.\"end\" > ?1 OR (f.start = f.\"end\" AND f.start >= ?1))"
        let categories = spec.categories.map { _ in "?" }.joined(separator: ",")
        let sql = """
            SELECT \(fileColumns), dep.id, dep.state
            FROM streams s JOIN contexts c ON c.id = s.context_id
            CROSS JOIN files f ON f.stream_id = s.id AND f.start >= ?1 - s.max_duration AND \(overlap)
            JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            LEFT JOIN dependents dep ON dep.file_id = f.id
            WHERE c.name = ?3 AND (?4 IS NULL OR s.name = ?4) AND s.category IN (\(categories))
            ORDER BY s.category, s.name, f.start, f.id
            """
        let args = StatementArguments([spec.window.lo, spec.window.hi]) + [spec.context, spec.stream] + StatementArguments(spec.categories)
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: args).map(requestedFileWithDependent)
    }

    /// A row of `fileColumns` followed by the dependent's id and state.
    static func requestedFileWithDependent(_ row: Row) -> RequestedFile {
        var f = requestedFile(row, 0)
        f.dependent = row[12]
        f.dependentState = (row[13] as String?).flatMap(RequestState.init(rawValue:))
        return f
    }

    public func recordResolution(_ r: RequestResolution, at: Instant, by: String) throws(CatalogError) -> Bool {
        try write { db in try Self.record(db, r, at: at, by: by) }
    }

    public func resolveRequests(_ pending: [PendingRequest], at: Instant, by: String,
                                classify: (PendingRequest, [RequestedFile]) -> RequestResolution) throws(CatalogError) -> [Bool] {
        try write { db in
            var selector = RequestFileSelector(db, requests: pending.count { $0.verdict == nil })
            return try pending.map { p in try Self.record(db, try p.verdict ?? classify(p, try selector.files(p.spec)), at: at, by: by) }
        }
    }

    /// Records a resolution in the caller's write transaction (see `recordResolution`).
    private static func record(_ db: Database, _ r: RequestResolution, at: Instant, by: String) throws -> Bool {
        try db.cachedStatement(sql: "UPDATE requests SET state = ?, fault = ?, message = ?, changed = ? WHERE id = ? AND state = 'new'")
            .execute(arguments: [r.state.rawValue, r.fault, r.message, at.microseconds, r.request])
        guard db.changesCount == 1 else { return false }
        try event(db, "request", r.request, from: .new, to: r.state, fault: r.fault, at: at, by: by, detail: r.message)
        let need = try db.cachedStatement(sql: "INSERT OR IGNORE INTO request_files (request_id, file_id) VALUES (?, ?)")
        for f in r.files { try need.execute(arguments: [r.request, f]) }
        // A dependent that is full while its file is purged again starts over.
        let dependent = try db.cachedStatement(sql: """
            INSERT INTO dependents (file_id, need_start, need_end, created, changed) VALUES (?1, ?2, ?3, ?4, ?4)
            ON CONFLICT (file_id) DO UPDATE SET state = 'new', fault = NULL, message = NULL, attempts = 0, claimer = NULL,
                token = NULL, lease_until = NULL, need_start = excluded.need_start, need_end = excluded.need_end, changed = excluded.changed
            WHERE dependents.state = 'full' AND (SELECT state FROM files WHERE id = dependents.file_id) = 3
            RETURNING id
            """)
        for d in r.dependents {
            let ids = try Int64.fetchAll(dependent, arguments: [d.file, d.need?.start.microseconds, d.need?.end.microseconds, at.microseconds])
            for id in ids {
                try event(db, "dependent", id, from: nil, to: .new, fault: nil, at: at, by: by, detail: "needed by request \(r.request)")
            }
        }
        return true
    }

    public func requests(_ filter: RequestFilter) throws(CatalogError) -> [RequestRecord] {
        try read { db in
            try requestRows(db, where: "(?1 IS NULL OR q.id = ?1) AND (?2 IS NULL OR q.state = ?2)", [filter.id, filter.state?.rawValue])
        }
    }

    public func requests(ids: [Int64]) throws(CatalogError) -> [RequestRecord] {
        guard !ids.isEmpty else { return [] }
        let found = try read { db in
            try requestRows(db, where: "q.id IN (SELECT value FROM json_each(?1))", ["[" + ids.map(String.init).joined(separator: ",") + "]"])
        }
        let byId = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return ids.compactMap { byId[$0] }
    }

    /// The requests `condition` (over requests `q`) selects, by id.
    private func requestRows(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [RequestRecord] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT q.id, q.context, q.categories, q.stream, q.start, q."end", q.label, q.priority, q.source, q.state, q.fault, q.message,
                   (SELECT count(*) FROM request_files rf WHERE rf.request_id = q.id),
                   (SELECT count(*) FROM request_files rf JOIN files f ON f.id = rf.file_id LEFT JOIN dependents dep ON dep.file_id = f.id
                    WHERE rf.request_id = q.id AND (f.state = 0 OR dep.state = 'full')),
                   (SELECT count(*) FROM request_files rf JOIN dependents dep ON dep.file_id = rf.file_id WHERE rf.request_id = q.id),
                   q.created, q.changed, q.finished, q.pinned_until
            FROM requests q WHERE \(condition) ORDER BY q.id
            """), arguments: arguments).map { r in
            guard let state = RequestState(rawValue: r[9]) else { throw corrupt("request \(r[0] as Int64) has an unknown state") }
            let spec = RequestSpec(context: r[1], categories: (r[2] as String).split(separator: ",").map(String.init), stream: r[3],
                                   window: TimeWindow(begin: (r[4] as Int64?).map(Instant.init(microseconds:)),
                                                      end: (r[5] as Int64?).map(Instant.init(microseconds:))),
                                   label: r[6], priority: r[7], source: r[8])
            return RequestRecord(id: r[0], spec: spec, state: state, fault: r[10], message: r[11], files: r[12], ready: r[13], dependents: r[14],
                                 created: Instant(microseconds: r[15]), changed: Instant(microseconds: r[16]),
                                 finished: (r[17] as Int64?).map(Instant.init(microseconds:)),
                                 pinnedUntil: (r[18] as Int64?).map(Instant.init(microseconds:)))
        }
    }

    public func requestFiles(_ id: Int64) throws(CatalogError) -> [RequestedFile] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.fileColumns), dep.id, dep.state
                FROM request_files rf JOIN files f ON f.id = rf.file_id JOIN streams s ON s.id = f.stream_id
                JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id LEFT JOIN dependents dep ON dep.file_id = f.id
                WHERE rf.request_id = ? ORDER BY s.category, s.name, f.start, f.id
                """, arguments: [id]).map(Self.requestedFileWithDependent)
        }
    }

    public func dependents(_ filter: DependentFilter) throws(CatalogError) -> [DependentRecord] {
        try read { db in try dependents(db, filter, ids: nil) }
    }

    public func claimDependents(worker: String, lease: Int64, limit: Int, categories: Set<String>?) throws(CatalogError) -> [DependentClaim] {
        guard lease > 0 else { throw CatalogError(path: path, message: "a claim's lease must be positive, not \(lease) microseconds") }
        guard limit > 0 else { return [] }
        let token = Int64.random(in: 1...Int64.max)
        return try write { db in
            let now = Instant(secondsSince1970: Date().timeIntervalSince1970).microseconds
            let only = categories.map { c in "AND s.category IN (\(c.map { _ in "?" }.joined(separator: ",")))" } ?? ""
            let ids = try Row.fetchAll(db, sql: """
                UPDATE dependents SET state = 'run', claimer = ?1, token = ?2, lease_until = ?3 + ?4, attempts = attempts + 1, changed = ?3
                WHERE id IN (SELECT dep.id FROM dependents dep JOIN files f ON f.id = dep.file_id JOIN streams s ON s.id = f.stream_id
                             WHERE (dep.state = 'new' OR (dep.state = 'run' AND dep.lease_until <= ?3)) \(only)
                               AND EXISTS (SELECT 1 FROM request_files rf JOIN requests q ON q.id = rf.request_id
                                           WHERE rf.file_id = dep.file_id AND q.state = 'run')
                             ORDER BY (SELECT max(q.priority) FROM request_files rf JOIN requests q ON q.id = rf.request_id
                                       WHERE rf.file_id = dep.file_id AND q.state = 'run') DESC, dep.id
                             LIMIT ?5)
                RETURNING id, attempts
                """, arguments: StatementArguments([worker, token, now, lease, limit] as [any DatabaseValueConvertible])
                    + StatementArguments(Array(categories ?? []).sorted()))
            let attempts = Dictionary(uniqueKeysWithValues: ids.map { ($0[0] as Int64, $0[1] as Int) })
            for (id, n) in attempts {
                try Self.event(db, "dependent", id, from: n == 1 ? .new : .run, to: .run, fault: nil, at: Instant(microseconds: now), by: worker,
                               detail: n == 1 ? "claimed" : "claimed again (attempt \(n)): the lease of an earlier claim ran out")
            }
            return try dependents(db, DependentFilter(), ids: Array(attempts.keys)).map {
                DependentClaim(dependent: $0, worker: worker, token: token, attempts: attempts[$0.id] ?? $0.attempts)
            }
        }
    }

    public func finishDependent(_ claim: DependentClaim, _ outcome: DependentOutcome, at: Instant, by: String) throws(CatalogError) -> Bool {
        let (state, fault, message): (RequestState, Int?, String?) = switch outcome {
        case .full(let m): (.full, nil, m)
        case .fault(let code, let m): (.fault, code, m)
        }
        return try write { db in
            try db.execute(sql: """
                UPDATE dependents SET state = ?, fault = ?, message = ?, lease_until = NULL, changed = ?, finished = ?
                WHERE id = ? AND token = ? AND state = 'run'
                """, arguments: [state.rawValue, fault, message, at.microseconds, at.microseconds, claim.dependent.id, claim.token])
            guard db.changesCount == 1 else { return false }
            try Self.event(db, "dependent", claim.dependent.id, from: .run, to: state, fault: fault, at: at, by: by, detail: message)
            return true
        }
    }

    public func settleRequests(at: Instant, grace: [String: Int64], defaultGrace: Int64, by: String) throws(CatalogError) -> [RequestRecord] {
        let moved: [Int64] = try write { db in
            var moved: [Int64] = []
            // A faulted dependent faults the requests that wait for it.
            let faulted = try Row.fetchAll(db, sql: """
                SELECT q.id, dep.id, dep.fault, dep.message FROM requests q JOIN request_files rf ON rf.request_id = q.id
                JOIN dependents dep ON dep.file_id = rf.file_id JOIN files f ON f.id = dep.file_id
                WHERE q.state = 'run' AND dep.state = 'fault' AND f.state <> 0 ORDER BY q.id, dep.id
                """)
            for row in faulted where !moved.contains(row[0]) {
                let id: Int64 = row[0], dep: Int64 = row[1], code: Int = row[2] ?? FaultCode.unknown.rawValue
                let message = "dependent \(dep) faulted: \(row[3] as String? ?? "")"
                try db.execute(sql: "UPDATE requests SET state = 'fault', fault = ?, message = ?, blocked_by = ?, changed = ? WHERE id = ?",
                               arguments: [code, message, dep, at.microseconds, id])
                try Self.event(db, "request", id, from: .run, to: .fault, fault: code, at: at, by: by, detail: message)
                moved.append(id)
            }
            // A file that went (missing, or removed by hand) after it was found live cannot come back.
            let lost = try Row.fetchAll(db, sql: """
                SELECT q.id, min(f.id) FROM requests q JOIN request_files rf ON rf.request_id = q.id JOIN files f ON f.id = rf.file_id
                LEFT JOIN dependents dep ON dep.file_id = f.id
                WHERE q.state = 'run' AND f.state <> 0 AND dep.id IS NULL GROUP BY q.id ORDER BY q.id
                """)
            for row in lost where !moved.contains(row[0]) {
                let id: Int64 = row[0], file: Int64 = row[1]
                let message = "needs file \(file), which went after the request was resolved (\(try Self.fileStateName(db, file))) and has no dependent to bring it back"
                try db.execute(sql: "UPDATE requests SET state = 'fault', fault = ?, message = ?, changed = ? WHERE id = ?",
                               arguments: [RequestFault.gone, message, at.microseconds, id])
                try Self.event(db, "request", id, from: .run, to: .fault, fault: RequestFault.gone, at: at, by: by, detail: message)
                moved.append(id)
            }
            let full = try Row.fetchAll(db, sql: """
                SELECT q.id, q.context FROM requests q WHERE q.state = 'run' AND NOT EXISTS (
                    SELECT 1 FROM request_files rf JOIN files f ON f.id = rf.file_id LEFT JOIN dependents dep ON dep.file_id = f.id
                    WHERE rf.request_id = q.id AND f.state <> 0 AND (dep.state IS NULL OR dep.state <> 'full'))
                ORDER BY q.id
                """)
            for row in full {
                let id: Int64 = row[0], context: String = row[1]
                let until = at.microseconds &+ (grace[context] ?? defaultGrace)
                try db.execute(sql: "UPDATE requests SET state = 'full', fault = NULL, message = NULL, changed = ?, finished = ?, pinned_until = ? WHERE id = ?",
                               arguments: [at.microseconds, at.microseconds, until, id])
                try Self.event(db, "request", id, from: .run, to: .full, fault: nil, at: at, by: by, detail: nil)
                moved.append(id)
            }
            return moved
        }
        return try requests(ids: moved)
    }

    public func settleRegenerated(at: Instant, by: String) throws(CatalogError) -> Int {
        try write { db in
            let ids = try Int64.fetchAll(db, sql: """
                UPDATE dependents SET state = 'full', fault = NULL, lease_until = NULL, changed = ?1, finished = ?1,
                       message = 'found back live by a scan'
                WHERE (state IN ('new', 'fault') OR (state = 'run' AND lease_until <= ?1))
                  AND file_id IN (SELECT f.id FROM files f WHERE f.id = dependents.file_id AND f.state = 0
                                  AND (dependents.need_start IS NULL OR (f.start IS NOT NULL
                                       AND ((f.start < dependents.need_end AND f."end" > dependents.need_start)
                                            OR f.start = dependents.need_start))))
                RETURNING id
                """, arguments: [at.microseconds])
            for id in ids { try Self.event(db, "dependent", id, from: nil, to: .full, fault: nil, at: at, by: by, detail: "found back live by a scan") }
            return ids.count
        }
    }

    public func revertDependents(faults: Set<Int>, at: Instant, by: String) throws(CatalogError) -> [DependentRecord] {
        try write { db in
            let codes = faults.sorted().map(String.init).joined(separator: ",")
            let ids = try Self.revertFaultedDependents(db, where: "fault IN (\(codes))", at: at, by: by)
            let requests = try Int64.fetchAll(db, sql: """
                UPDATE requests SET state = 'run', fault = NULL, message = NULL, blocked_by = NULL, changed = ?
                WHERE state = 'fault' AND blocked_by IN (\(ids.map(String.init).joined(separator: ","))) RETURNING id
                """, arguments: [at.microseconds])
            for id in requests { try Self.event(db, "request", id, from: .fault, to: .run, fault: nil, at: at, by: by, detail: "its dependent was reverted") }
            return try dependents(db, DependentFilter(), ids: ids)
        }
    }

    public func revertRequests(faults: Set<Int>, at: Instant, by: String) throws(CatalogError) -> [RequestRecord] {
        let ids: [Int64] = try write { db in
            let codes = faults.sorted().map(String.init).joined(separator: ",")
            let ids = try Int64.fetchAll(db, sql: """
                UPDATE requests SET state = 'new', fault = NULL, message = NULL, blocked_by = NULL, changed = ?
                WHERE state = 'fault' AND fault IN (\(codes)) RETURNING id
                """, arguments: [at.microseconds])
            for id in ids { try Self.event(db, "request", id, from: .fault, to: .new, fault: nil, at: at, by: by, detail: "reverted") }
            if !ids.isEmpty {
                _ = try Self.revertFaultedDependents(db, where: """
                    fault IN (\(codes)) AND file_id IN (SELECT file_id FROM request_files WHERE request_id IN (\(ids.map(String.init).joined(separator: ","))))
                    """, at: at, by: by)
            }
            return ids
        }
        return try requests(ids: ids)
    }

    // MARK: helpers

    /// The columns `requestedFile` reads, over files `f`, streams `s`, dirs `d` and roots `r`.
    static let fileColumns = """
        f.id, r.path, d.path, f.name, s.category, s.name, f.start, f."end", f.state, f.gone_at, f.gone_scan, f.gone_run
        """

    static func requestedFile(_ row: Row, _ at: Int) -> RequestedFile {
        let root = PathBytes(row[at + 1] as Data), dir = PathBytes(row[at + 2] as Data), name = PathBytes(row[at + 3] as Data)
        let start: Int64? = row[at + 6], end: Int64? = row[at + 7]
        let state = FileState(rawValue: row[at + 8]) ?? .live
        let goneBy: String? = state == .missing ? (row[at + 10] as Int64?).map { "scan \($0)" }
            : state.isGone ? (row[at + 11] as Int64?).map { "policy run \($0)" } : nil
        return RequestedFile(id: row[at], path: (dir.isEmpty ? root : root.appendingComponent(dir)).appendingComponent(name), root: root,
                             category: row[at + 4], stream: row[at + 5],
                             coverage: start.map { Coverage(start: Instant(microseconds: $0), end: Instant(microseconds: end ?? $0)) },
                             state: state, goneAt: (row[at + 9] as Int64?).map(Instant.init(microseconds:)), goneBy: goneBy)
    }

    private func dependents(_ db: Database, _ filter: DependentFilter, ids: [Int64]?) throws -> [DependentRecord] {
        if let ids, ids.isEmpty { return [] }
        var conditions = ["(?1 IS NULL OR dep.id = ?1)", "(?2 IS NULL OR dep.state = ?2)",
                          "(?3 IS NULL OR dep.file_id IN (SELECT file_id FROM request_files WHERE request_id = ?3))"]
        if let ids { conditions.append("dep.id IN (\(ids.map(String.init).joined(separator: ",")))") }
        return try Row.fetchAll(db, sql: """
            SELECT \(Self.fileColumns), c.name, dep.id, dep.need_start, dep.need_end, dep.state, dep.fault, dep.message, dep.claimer,
                   dep.attempts, dep.created, dep.changed,
                   (SELECT group_concat(request_id) FROM request_files rf WHERE rf.file_id = dep.file_id)
            FROM dependents dep JOIN files f ON f.id = dep.file_id JOIN streams s ON s.id = f.stream_id JOIN contexts c ON c.id = s.context_id
            JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY dep.id
            """, arguments: [filter.id, filter.state?.rawValue, filter.request]).map { r in
            guard let state = RequestState(rawValue: r[16]) else { throw corrupt("dependent \(r[13] as Int64) has an unknown state") }
            let s: Int64? = r[14], e: Int64? = r[15]
            let requests = (r[23] as String?).map { $0.split(separator: ",").compactMap { Int64($0) }.sorted() } ?? []
            return DependentRecord(id: r[13], file: Self.requestedFile(r, 0), context: r[12],
                                   need: s.map { Coverage(start: Instant(microseconds: $0), end: Instant(microseconds: e ?? $0)) },
                                   state: state, fault: r[17], message: r[18], requests: requests, claimer: r[19], attempts: r[20],
                                   created: Instant(microseconds: r[21]), changed: Instant(microseconds: r[22]))
        }
    }

    /// Faulted dependents matching `condition` back to `new`, journaled; their ids.
    private static func revertFaultedDependents(_ db: Database, where condition: String, at: Instant, by: String) throws -> [Int64] {
        let ids = try Int64.fetchAll(db, sql: """
            UPDATE dependents SET state = 'new', fault = NULL, message = NULL, attempts = 0, claimer = NULL, token = NULL, lease_until = NULL, changed = ?
            WHERE state = 'fault' AND \(condition) RETURNING id
            """, arguments: [at.microseconds])
        for id in ids { try event(db, "dependent", id, from: .fault, to: .new, fault: nil, at: at, by: by, detail: "reverted") }
        return ids.sorted()
    }

    /// A file's state and path, for messages.
    private static func fileStateName(_ db: Database, _ id: Int64) throws -> String {
        let row = try Row.fetchOne(db, sql: """
            SELECT f.state, r.path, d.path, f.name FROM files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id WHERE f.id = ?
            """, arguments: [id])
        guard let row else { return "gone" }
        let dir = PathBytes(row[2] as Data)
        let path = (dir.isEmpty ? PathBytes(row[1] as Data) : PathBytes(row[1] as Data).appendingComponent(dir)).appendingComponent(PathBytes(row[3] as Data))
        return "\(path.displayPath) is \((FileState(rawValue: row[0]) ?? .missing).name)"
    }

    /// Journals one state change.
    static func event(_ db: Database, _ object: String, _ id: Int64, from: RequestState?, to: RequestState, fault: Int?, at: Instant,
                      by: String, detail: String?) throws {
        try db.execute(sql: """
            INSERT INTO request_events (at, object, object_id, from_state, to_state, fault, by, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [at.microseconds, object, id, from?.rawValue, to.rawValue, fault, by, detail])
    }

    private func corrupt(_ message: String) -> CatalogError { CatalogError(path: path, kind: .corrupt, message: message) }
}
