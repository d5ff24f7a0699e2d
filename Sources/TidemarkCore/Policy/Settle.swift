import Foundation
import GRDB

/// What settling the journal of killed runs found.
public struct SettleReport: Sendable {
    /// Runs that were still marked running (killed): now `interrupted`.
    public var runs: [Int64] = []
    /// Open intents whose file was found gone: the killed run had removed it.
    public var removed = 0
    /// Open intents whose file is still there: the killed run never removed it.
    public var notDone = 0
    /// Open intents that could not be checked (a root unavailable); left open.
    public var unresolved = 0

    public var isEmpty: Bool { runs.isEmpty && removed == 0 && notDone == 0 && unresolved == 0 }
}

extension PolicyExecutor {
    /// Completes what killed runs left open, before anything new is planned: each open
    /// intent is checked on disk, so the catalog ends up agreeing with the disk and no
    /// file is removed twice. Needs the catalog's policy lock.
    public func settle(lock: PolicyLock) throws(PolicyError) -> SettleReport {
        do {
            return try settleOpen()
        } catch let e as PolicyError { throw e } catch let e as CatalogError { throw .catalog(e) } catch {
            throw .catalog(CatalogError(path: catalog.path, message: "\(error)"))
        }
    }

    private struct OpenIntent {
        var journalId: Int64, run: Int64, fileId: Int64, kind: PlannedAction.Kind, expected: FileStat, intended: Int64
        var root: PathBytes, directory: PathBytes, name: PathBytes
    }

    private func settleOpen() throws -> SettleReport {
        var report = SettleReport()
        let (open, running) = try catalog.read { db -> ([OpenIntent], [Int64]) in
            let rows = try Row.fetchAll(db, sql: """
                SELECT j.id, j.run_id, j.file_id, j.action, j.size, j.mtime, j.inode, j.device, j.intended, r.path, d.path, f.name, j.ctime
                FROM journal j JOIN files f ON f.id = j.file_id JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
                WHERE j.result IS NULL ORDER BY j.id
                """)
            let intents = rows.map { r in
                OpenIntent(journalId: r[0], run: r[1], fileId: r[2], kind: PlannedAction.Kind(rawValue: r[3]) ?? .delete,
                           expected: FileStat(size: r[4], mtimeNanoseconds: r[5], inode: UInt64(bitPattern: r[6]), device: UInt64(bitPattern: r[7]),
                                              ctimeNanoseconds: r[12]),
                           intended: r[8], root: PathBytes(r[9] as Data), directory: PathBytes(r[10] as Data), name: PathBytes(r[11] as Data))
            }
            // Whoever holds the lock is the only run: any other still marked running was killed.
            return (intents, try Int64.fetchAll(db, sql: "SELECT id FROM policy_runs WHERE status = 'running' ORDER BY id"))
        }
        guard !open.isEmpty || !running.isEmpty else { return report }
        var roots: [PathBytes: RootDirectory?] = [:]
        var decided: [(OpenIntent, JournalResult, String)] = []
        for i in open {
            if roots[i.root] == nil { roots[i.root] = .some(try? RootDirectory(path: i.root)) }
            guard let root = roots[i.root]! else { report.unresolved += 1; continue }
            switch root.verify(directory: i.directory, name: i.name, expected: i.expected) {
            case nil:
                decided.append((i, .notDone, "the run was killed before removing it; still on disk, unchanged"))
            case .gone?:
                decided.append((i, .done, "the run was killed after removing it; found gone when the journal was settled"))
            case .failed?:
                report.unresolved += 1
            case let other?:
                decided.append((i, .notDone, "the run was killed before removing it; " + Self.describe(other)))
            }
        }
        let now = clock()
        try catalog.write { db in
            let journal = try db.cachedStatement(sql: "UPDATE journal SET result = ?, detail = ?, finished = ? WHERE id = ?")
            let tombstone = try db.cachedStatement(sql: "UPDATE files SET state = ?, gone_at = ?, gone_scan = NULL, gone_run = ? WHERE id = ? AND state IN (0, 1)")
            var removed: [Int64] = []
            for (i, result, detail) in decided {
                try journal.execute(arguments: [result.rawValue, detail, now.microseconds, i.journalId])
                if result == .done {
                    try tombstone.execute(arguments: [i.kind.tombstone.rawValue, i.intended, i.run, i.fileId])
                    removed.append(i.fileId)
                }
            }
            if !removed.isEmpty {
                let streams = try Int64.fetchAll(db, sql: "SELECT DISTINCT stream_id FROM files WHERE id IN (\(removed.map(String.init).joined(separator: ",")))")
                try StreamFinisher(db: db).finish(streams: streams)
            }
            for run in Set(running + decided.map(\.0.run)).sorted() {
                try SQLiteCatalog.recount(db, run: run, now: now, status: "interrupted")
            }
        }
        report.runs = Array(Set(running + decided.map(\.0.run))).sorted()
        report.removed = decided.filter { $0.1 == .done }.count
        report.notDone = decided.filter { $0.1 == .notDone }.count
        return report
    }
}
