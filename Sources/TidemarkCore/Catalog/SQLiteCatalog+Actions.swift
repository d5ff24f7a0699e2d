import Foundation
import GRDB

/// The SQLite adapter of `ActionJournal`: each intent and each result (or each batch of them) one write transaction.
extension SQLiteCatalog: ActionJournal {
    public func writeIntent(_ intent: ActionIntent, at: Instant) throws(CatalogError) -> Int64 {
        try writeIntents([intent], at: at)[0]
    }

    public func writeIntents(_ intents: [ActionIntent], at: Instant) throws(CatalogError) -> [Int64] {
        try write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO journal (run_id, file_id, dataset_id, copy_id, request_id, action, rule, reason, target, by, intended, pid, host)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            return try intents.map { intent in
                let s = intent.subject
                try insert.execute(arguments: [intent.run, s.file, s.dataset, s.copy, s.request, intent.kind.rawValue, intent.rule, intent.detail,
                                               intent.target, intent.by, at.microseconds, Int64(getpid()), LockHolder.hostName])
                return db.lastInsertedRowID
            }
        }
    }

    public func writeResults(_ results: [(entry: Int64, outcome: ActionOutcome)], at: Instant) throws(CatalogError) {
        guard !results.isEmpty else { return }
        try write { db in
            let update = try db.cachedStatement(sql: "UPDATE journal SET result = ?, detail = ?, finished = ? WHERE id = ?")
            for r in results {
                try update.execute(arguments: [r.outcome.result.rawValue, r.outcome.detail, at.microseconds, r.entry])
            }
        }
    }

    public func writeResult(_ id: Int64, _ result: JournalResult, detail: String?, at: Instant, onlyIfOpen: Bool) throws(CatalogError) -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE journal SET result = ?, detail = ?, finished = ? WHERE id = ?" + (onlyIfOpen ? " AND result IS NULL" : ""),
                           arguments: [result.rawValue, detail, at.microseconds, id])
            return db.changesCount == 1
        }
    }

    public func actions(subject: ActionSubject) throws(CatalogError) -> [ActionEntry] {
        try read { db in
            try Row.fetchAll(db, sql: Self.actionColumns + """
                 WHERE file_id = ?1 OR dataset_id = ?2 OR copy_id = ?3 OR request_id = ?4 ORDER BY id
                """, arguments: [subject.file, subject.dataset, subject.copy, subject.request]).map(actionEntry)
        }
    }

    public func openActions() throws(CatalogError) -> [ActionEntry] {
        try read { db in
            try Row.fetchAll(db, sql: Self.actionColumns + " WHERE result IS NULL AND file_id IS NULL ORDER BY id").map(actionEntry)
        }
    }

    private static let actionColumns = """
        SELECT id, action, file_id, dataset_id, copy_id, request_id, reason, by, target, rule, run_id, intended, result, detail, finished, pid, host
        FROM journal
        """

    private func actionEntry(_ r: Row) throws -> ActionEntry {
        guard let kind = ActionKind(rawValue: r[1]) else {
            throw CatalogError(path: path, kind: .corrupt, message: "journal entry #\(r[0] as Int64) has an unknown action '\(r[1] as String)'")
        }
        return ActionEntry(
            id: r[0],
            intent: ActionIntent(kind: kind, subject: ActionSubject(file: r[2], dataset: r[3], copy: r[4], request: r[5]), detail: r[6],
                                 by: r[7] ?? "", target: r[8], rule: r[9], run: r[10]),
            intended: Instant(microseconds: r[11]), result: (r[12] as String?).flatMap(JournalResult.init(rawValue:)), resultDetail: r[13],
            finished: (r[14] as Int64?).map(Instant.init(microseconds:)), pid: r[15], host: r[16])
    }
}
