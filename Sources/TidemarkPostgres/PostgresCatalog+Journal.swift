import Foundation
import PostgresNIO
import TidemarkCore

/// The PostgreSQL adapter of `JournalStore`: a run, each action's intent (committed before
/// the action) and its result (committed after), each batch in one transaction, as on SQLite.
extension PostgresCatalog: JournalStore {
    public func beginRun(policy: String, contextId: Int64, planned: Int, now: Instant, _ lock: PolicyLock) throws(CatalogError) -> Int64 {
        try transaction(.write) {
            try first("""
                INSERT INTO policy_runs (context_id, policy, started, status, pid, planned)
                VALUES (\(contextId), \(policy), \(now.microseconds), \(PolicyRunStatus.running.rawValue), \(Int64(getpid())), \(planned))
                RETURNING id
                """)!.int(0)
        }
    }

    public func resolve(_ ids: [Int64], roots: Set<Int64>) throws(CatalogError) -> [Int64: ResolvedFile] {
        try transaction(.snapshot) {
            var out: [Int64: ResolvedFile] = [:]
            try each("""
                SELECT f.id, f.state::int8, f.size, f.mtime, f.inode, f.device, f.stream_id, d.root_id, d.path, f.name, f.ctime, f.dataset_id
                FROM files f JOIN dirs d ON d.id = f.dir_id WHERE f.id = ANY(\(ids))
                """) { r in
                let rootId = try r.int(7)
                guard roots.contains(rootId) else { return }  // not under a root of this context
                let id = try r.int(0)
                out[id] = ResolvedFile(
                    id: id, state: FileState(rawValue: Int(try r.int(1))) ?? .live,
                    stat: FileStat(size: try r.int(2), mtimeNanoseconds: try r.int(3), inode: UInt64(bitPattern: try r.int(4)),
                                   device: UInt64(bitPattern: try r.int(5)), ctimeNanoseconds: try r.int(10)),
                    streamId: try r.int(6), rootId: rootId, directory: try r.bytes(8), name: try r.bytes(9), datasetId: try r.optionalInt(11))
            }
            return out
        }
    }

    public func newest(streams: Set<Int64>, keep: Int, startBy: Instant, scope: RootScope) throws(CatalogError) -> Set<Int64> {
        try transaction(.snapshot) { try newestFiles(streams: Array(streams), keep: keep, startBy: startBy, scope: scope) }
    }

    /// The `keep` newest live files of each stream among those starting by `startBy`, in one
    /// statement (a lateral subquery per stream, each an index range read).
    func newestFiles(streams: [Int64], keep: Int, startBy: Instant, scope: RootScope) throws -> Set<Int64> {
        guard !streams.isEmpty else { return [] }
        return Set(try rows("""
            SELECT x.id FROM unnest(\(streams.sorted())::int8[]) AS s(id) CROSS JOIN LATERAL (
                SELECT id FROM files WHERE stream_id = s.id AND state = \(FileState.live.rawValue) AND start IS NOT NULL
                AND start <= \(startBy.microseconds)\(unescaped: scope.postgresSQL)
                ORDER BY start DESC, id DESC LIMIT \(Int64(max(1, keep)))) AS x
            """).map { try $0.decode(Int64.self) })
    }

    public func liveMembers(dataset: Int64) throws(CatalogError) -> [Int64: PathBytes] {
        try transaction(.snapshot) {
            var out: [Int64: PathBytes] = [:]
            try each("""
                SELECT f.id, d.path, f.name FROM files f JOIN dirs d ON d.id = f.dir_id
                WHERE f.dataset_id = \(dataset) AND f.state = \(FileState.live.rawValue)
                """) { r in out[try r.int(0)] = try r.bytes(1).appendingComponent(try r.bytes(2)) }
            return out
        }
    }

    public func writeIntents(run: Int64, _ entries: [JournalEntry], at: Instant) throws(CatalogError) -> [Int64] {
        guard !entries.isEmpty else { return [] }
        // An action refused because its file is not in the catalog (a forged plan) cannot be
        // recorded against a file row here, as the schema's references are enforced: it is
        // reported, and its id is left unused. Every intent is recorded.
        return try transaction(.write) {
            // Ids taken first, so each entry's id is known in order whatever order rows are inserted in.
            let ids = try rows("SELECT nextval(pg_get_serial_sequence('journal', 'id')) FROM generate_series(1, \(Int64(entries.count)))")
                .map { try $0.decode(Int64.self) }.sorted()
            let a = entries.map(\.action)
            try execute("""
                INSERT INTO journal (id, run_id, file_id, action, rule, reason, size, mtime, inode, device, intended, result, detail, finished, ctime)
                SELECT e.id, \(run), e.f, e.a, e.ru, e.re, e.s, e.m, e.i, e.d, \(at.microseconds), CASE WHEN e.hr THEN e.r END,
                       CASE WHEN e.hd THEN e.de END, CASE WHEN e.hr THEN \(at.microseconds) END, e.c
                FROM unnest(\(ids), \(a.map(\.fileId)), \(a.map(\.kind.rawValue)), \(a.map(\.rule)), \(a.map(\.reason)),
                            \(a.map(\.expected.size)), \(a.map(\.expected.mtimeNanoseconds)), \(a.map { Int64(bitPattern: $0.expected.inode) }),
                            \(a.map { Int64(bitPattern: $0.expected.device) }), \(entries.map { $0.result != nil }),
                            \(entries.map { $0.result?.rawValue ?? "" }), \(entries.map { $0.detail != nil }), \(entries.map { $0.detail ?? "" }),
                            \(a.map(\.expected.ctimeNanoseconds))) AS e(id, f, a, ru, re, s, m, i, d, hr, r, hd, de, c)
                WHERE NOT e.hr OR EXISTS (SELECT 1 FROM files WHERE files.id = e.f)
                ORDER BY e.id
                """)
            return ids
        }
    }

    public func writeResults(run: Int64, _ results: [JournalOutcome], at: Instant) throws(CatalogError) {
        guard !results.isEmpty else { return }
        try transaction(.write) {
            try closeEntries(results.map(\.journalId), results.map(\.result), results.map(\.detail), at: at)
            let done = results.filter { $0.result == .done }
            // A scan that ran meanwhile may have marked the file missing: it is ours all the same.
            try tombstone(done.map(\.action.fileId), states: done.map(\.action.kind.tombstone), goneAt: done.map { _ in at.microseconds },
                          runs: done.map { _ in run })
            let gone = results.filter { $0.result == .gone }.map(\.action.fileId)
            if !gone.isEmpty {
                try execute("""
                    UPDATE files SET state = \(FileState.missing.rawValue), gone_at = \(at.microseconds), gone_run = NULL
                    WHERE id = ANY(\(gone)) AND state = \(FileState.live.rawValue)
                    """)
            }
            // Coverage runs and monthly rollups follow the tombstones in the same transaction.
            try finishStreams(results.filter { $0.result == .done || $0.result == .gone }.map(\.streamId))
        }
    }

    public func finishRun(_ run: Int64, now: Instant) throws(CatalogError) {
        try transaction(.write) { try recount(run, now: now, status: nil) }
    }

    public func openIntents() throws(CatalogError) -> (intents: [OpenIntent], running: [Int64]) {
        try transaction(.snapshot) {
            var intents: [OpenIntent] = []
            try each("""
                SELECT j.id, j.run_id, j.file_id, j.action, j.size, j.mtime, j.inode, j.device, j.intended, d.root_id, d.path, f.name, j.ctime
                FROM journal j JOIN files f ON f.id = j.file_id JOIN dirs d ON d.id = f.dir_id
                WHERE j.result IS NULL ORDER BY j.id
                """) { r in
                intents.append(OpenIntent(
                    journalId: try r.int(0), run: try r.int(1), fileId: try r.int(2), kind: PlannedAction.Kind(rawValue: try r.text(3)) ?? .delete,
                    expected: FileStat(size: try r.int(4), mtimeNanoseconds: try r.int(5), inode: UInt64(bitPattern: try r.int(6)),
                                       device: UInt64(bitPattern: try r.int(7)), ctimeNanoseconds: try r.int(12)),
                    intended: try r.int(8), rootId: try r.int(9), directory: try r.bytes(10), name: try r.bytes(11)))
            }
            let running = try rows("SELECT id FROM policy_runs WHERE status = \(PolicyRunStatus.running.rawValue) ORDER BY id")
                .map { try $0.decode(Int64.self) }
            return (intents, running)
        }
    }

    public func settle(_ decided: [SettledIntent], runs: [Int64], now: Instant) throws(CatalogError) {
        try transaction(.write) {
            try closeEntries(decided.map(\.intent.journalId), decided.map(\.result), decided.map { Optional($0.detail) }, at: now)
            let done = decided.filter { $0.result == .done }.map(\.intent)
            try tombstone(done.map(\.fileId), states: done.map(\.kind.tombstone), goneAt: done.map(\.intended), runs: done.map(\.run))
            if !done.isEmpty {
                try finishStreams(try rows("SELECT DISTINCT stream_id FROM files WHERE id = ANY(\(done.map(\.fileId)))").map { try $0.decode(Int64.self) })
            }
            for run in runs { try recount(run, now: now, status: .interrupted) }
        }
    }

    /// Records the results of journal entries.
    private func closeEntries(_ ids: [Int64], _ results: [JournalResult], _ details: [String?], at: Instant) throws {
        guard !ids.isEmpty else { return }
        try execute("""
            UPDATE journal j SET result = u.r, detail = CASE WHEN u.hd THEN u.d END, finished = \(at.microseconds)
            FROM unnest(\(ids), \(results.map(\.rawValue)), \(details.map { $0 != nil }), \(details.map { $0 ?? "" })) AS u(id, r, hd, d)
            WHERE j.id = u.id
            """)
    }

    /// Turns removed files into tombstones of the run that removed them: live ones, and
    /// missing ones (a scan that ran meanwhile found them gone; the run removed them all the same).
    private func tombstone(_ ids: [Int64], states: [FileState], goneAt: [Int64], runs: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try execute("""
            UPDATE files f SET state = u.st, gone_at = u.at, gone_scan = NULL, gone_run = u.run
            FROM unnest(\(ids), \(states.map { Int64($0.rawValue) }), \(goneAt), \(runs)) AS u(id, st, at, run)
            WHERE f.id = u.id AND f.state IN (\(FileState.live.rawValue), \(FileState.missing.rawValue))
            """)
    }

    /// Sets a run's counts of removals from its journal; its status (faults when any of its
    /// actions was skipped or failed) too unless `status` is given.
    private func recount(_ run: Int64, now: Instant, status: PolicyRunStatus?) throws {
        let (done, skipped, notDone, failed) = (JournalResult.done.rawValue, JournalResult.skipped.rawValue,
                                                JournalResult.notDone.rawValue, JournalResult.failed.rawValue)
        try execute("""
            UPDATE policy_runs SET finished = \(now.microseconds),
                   done = (SELECT count(*) FROM journal WHERE run_id = \(run) AND file_id IS NOT NULL AND result = \(done)),
                   bytes = (SELECT coalesce(sum(size), 0) FROM journal WHERE run_id = \(run) AND file_id IS NOT NULL AND result = \(done)),
                   skipped = (SELECT count(*) FROM journal WHERE run_id = \(run) AND file_id IS NOT NULL AND result IN (\(skipped), \(notDone))),
                   failed = (SELECT count(*) FROM journal WHERE run_id = \(run) AND file_id IS NOT NULL AND result = \(failed)),
                   status = coalesce(\(status?.rawValue)::text,
                                     CASE WHEN EXISTS (SELECT 1 FROM journal WHERE run_id = \(run) AND result IN (\(skipped), \(failed)))
                                          THEN \(PolicyRunStatus.faults.rawValue) ELSE \(PolicyRunStatus.done.rawValue) END)
            WHERE id = \(run)
            """)
    }
}
