import Foundation
import GRDB

/// The SQLite adapter of `JournalStore`: a run, each action's intent (committed before the
/// action) and its result (committed after), settling and root forget.
extension SQLiteCatalog: JournalStore {
    /// Starts a run record.
    public func beginRun(policy: String, contextId: Int64, planned: Int, now: Instant, _ lock: PolicyLock) throws(CatalogError) -> Int64 {
        try write { db in
            try db.execute(sql: "INSERT INTO policy_runs (context_id, policy, started, status, pid, planned) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [contextId, policy, now.microseconds, PolicyRunStatus.running.rawValue, Int64(getpid()), planned])
            return db.lastInsertedRowID
        }
    }

    /// The catalog's view of the files a batch names, read again just before acting.
    public func resolve(_ ids: [Int64], roots: Set<Int64>) throws(CatalogError) -> [Int64: ResolvedFile] {
        try read { db in
            var out: [Int64: ResolvedFile] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT f.id, f.state, f.size, f.mtime, f.inode, f.device, f.stream_id, d.root_id, d.path, f.name, f.ctime, f.dataset_id
                FROM files f JOIN dirs d ON d.id = f.dir_id WHERE f.id IN (\(ids.map(String.init).joined(separator: ",")))
                """)
            while let r = try rows.next() {
                let rootId: Int64 = r[7]
                guard roots.contains(rootId) else { continue }  // not under a root of this context
                let id: Int64 = r[0]
                out[id] = ResolvedFile(
                    id: id, state: FileState(rawValue: r[1]) ?? .live,
                    stat: FileStat(size: r[2], mtimeNanoseconds: r[3], inode: UInt64(bitPattern: r[4]), device: UInt64(bitPattern: r[5]),
                                   ctimeNanoseconds: r[10]),
                    streamId: r[6], rootId: rootId, directory: PathBytes(r[8] as Data), name: PathBytes(r[9] as Data), datasetId: r[11])
            }
            return out
        }
    }

    /// The newest live files of some streams (starting by `startBy`), for the executor's second check.
    public func newest(streams: Set<Int64>, keep: Int, startBy: Instant, scope: RootScope) throws(CatalogError) -> Set<Int64> {
        try read { db in try SQLitePlanningSnapshot.newest(db, streams: streams, keep: keep, startBy: startBy, scope: scope) }
    }

    /// The live files of a dataset now, with their paths relative to their root.
    public func liveMembers(dataset: Int64) throws(CatalogError) -> [Int64: PathBytes] {
        try read { db in
            var out: [Int64: PathBytes] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT f.id, d.path, f.name FROM files f JOIN dirs d ON d.id = f.dir_id WHERE f.dataset_id = ? AND f.state = \(FileState.live.rawValue)
                """, arguments: [dataset]) {
                out[r[0]] = PathBytes(r[1] as Data).appendingComponent(PathBytes(r[2] as Data))
            }
            return out
        }
    }

    /// Commits the intents of a batch (and the results of actions refused before acting).
    public func writeIntents(run: Int64, _ entries: [JournalEntry], at: Instant) throws(CatalogError) -> [Int64] {
        try write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO journal (run_id, file_id, action, rule, reason, size, mtime, inode, device, intended, result, detail, finished, ctime)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var ids: [Int64] = []
            for e in entries {
                let a = e.action
                try stmt.execute(arguments: [run, a.fileId, a.kind.rawValue, a.rule, a.reason, a.expected.size, a.expected.mtimeNanoseconds,
                                             Int64(bitPattern: a.expected.inode), Int64(bitPattern: a.expected.device), at.microseconds,
                                             e.result?.rawValue, e.detail, e.result == nil ? nil : at.microseconds, a.expected.ctimeNanoseconds])
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
    }

    /// Commits the results of a batch and turns removed files into tombstones.
    public func writeResults(run: Int64, _ results: [JournalOutcome], at: Instant) throws(CatalogError) {
        try write { db in
            let journal = try db.cachedStatement(sql: "UPDATE journal SET result = ?, detail = ?, finished = ? WHERE id = ?")
            // A scan that ran meanwhile may have marked the file missing: it is ours all the same.
            let tombstone = try db.cachedStatement(sql: """
                UPDATE files SET state = ?, gone_at = ?, gone_scan = NULL, gone_run = ? WHERE id = ? AND state IN \(Self.tombstoneable)
                """)
            let missing = try db.cachedStatement(sql: "UPDATE files SET state = \(FileState.missing.rawValue), gone_at = ?, gone_run = NULL WHERE id = ? AND state = \(FileState.live.rawValue)")
            var touched = Set<Int64>()
            for r in results {
                try journal.execute(arguments: [r.result.rawValue, r.detail, at.microseconds, r.journalId])
                switch r.result {
                case .done: try tombstone.execute(arguments: [r.action.kind.tombstone.rawValue, at.microseconds, run, r.action.fileId])
                case .gone: try missing.execute(arguments: [at.microseconds, r.action.fileId])
                default: continue
                }
                touched.insert(r.streamId)
            }
            // Coverage runs and monthly rollups follow the tombstones in the same transaction.
            try StreamFinisher(db: db).finish(streams: touched.sorted())
        }
    }

    /// Closes a run with its counts, taken from the journal.
    public func finishRun(_ run: Int64, now: Instant) throws(CatalogError) {
        try write { db in try Self.recount(db, run: run, now: now, status: nil) }
    }

    /// States a run's result may turn into a tombstone: a scan that ran meanwhile may have
    /// marked the file missing, and it is the run's all the same.
    static let tombstoneable = "(\(FileState.live.rawValue), \(FileState.missing.rawValue))"

    /// Sets a run's counts of removals from its journal, and its status (faults when any of
    /// its actions, removal or other, was skipped or failed) unless `status` is given.
    static func recount(_ db: Database, run: Int64, now: Instant, status: PolicyRunStatus?) throws {
        let (done, skipped, notDone, failed) = (sqlLiteral(JournalResult.done), sqlLiteral(JournalResult.skipped),
                                                sqlLiteral(JournalResult.notDone), sqlLiteral(JournalResult.failed))
        try db.execute(sql: """
            UPDATE policy_runs SET finished = ?,
                   done = (SELECT count(*) FROM journal WHERE run_id = ?2 AND file_id IS NOT NULL AND result = \(done)),
                   bytes = (SELECT coalesce(sum(size), 0) FROM journal WHERE run_id = ?2 AND file_id IS NOT NULL AND result = \(done)),
                   skipped = (SELECT count(*) FROM journal WHERE run_id = ?2 AND file_id IS NOT NULL AND result IN (\(skipped), \(notDone))),
                   failed = (SELECT count(*) FROM journal WHERE run_id = ?2 AND file_id IS NOT NULL AND result = \(failed)),
                   status = coalesce(?3, CASE WHEN EXISTS (SELECT 1 FROM journal WHERE run_id = ?2 AND result IN (\(skipped), \(failed)))
                                             THEN \(sqlLiteral(PolicyRunStatus.faults)) ELSE \(sqlLiteral(PolicyRunStatus.done)) END)
            WHERE id = ?2
            """, arguments: [now.microseconds, run, status?.rawValue])
    }
}


extension SQLiteCatalog {
    public func openIntents() throws(CatalogError) -> (intents: [OpenIntent], running: [Int64]) {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT j.id, j.run_id, j.file_id, j.action, j.size, j.mtime, j.inode, j.device, j.intended, d.root_id, d.path, f.name, j.ctime
                FROM journal j JOIN files f ON f.id = j.file_id JOIN dirs d ON d.id = f.dir_id
                WHERE j.result IS NULL ORDER BY j.id
                """)
            let intents = rows.map { r in
                OpenIntent(journalId: r[0], run: r[1], fileId: r[2], kind: PlannedAction.Kind(rawValue: r[3]) ?? .delete,
                           expected: FileStat(size: r[4], mtimeNanoseconds: r[5], inode: UInt64(bitPattern: r[6]), device: UInt64(bitPattern: r[7]),
                                              ctimeNanoseconds: r[12]),
                           intended: r[8], rootId: r[9], directory: PathBytes(r[10] as Data), name: PathBytes(r[11] as Data))
            }
            return (intents, try Int64.fetchAll(db, sql: "SELECT id FROM policy_runs WHERE status = ?", arguments: [PolicyRunStatus.running.rawValue]))
        }
    }

    public func settle(_ decided: [SettledIntent], runs: [Int64], now: Instant) throws(CatalogError) {
        try write { db in
            let journal = try db.cachedStatement(sql: "UPDATE journal SET result = ?, detail = ?, finished = ? WHERE id = ?")
            let tombstone = try db.cachedStatement(sql: """
                UPDATE files SET state = ?, gone_at = ?, gone_scan = NULL, gone_run = ? WHERE id = ? AND state IN \(Self.tombstoneable)
                """)
            var removed: [Int64] = []
            for d in decided {
                let i = d.intent
                try journal.execute(arguments: [d.result.rawValue, d.detail, now.microseconds, i.journalId])
                if d.result == .done {
                    try tombstone.execute(arguments: [i.kind.tombstone.rawValue, i.intended, i.run, i.fileId])
                    removed.append(i.fileId)
                }
            }
            if !removed.isEmpty {
                let streams = try Int64.fetchAll(db, sql: "SELECT DISTINCT stream_id FROM files WHERE id IN (\(removed.map(String.init).joined(separator: ",")))")
                try StreamFinisher(db: db).finish(streams: streams)
            }
            for run in runs { try Self.recount(db, run: run, now: now, status: .interrupted) }
        }
    }
}
