import Foundation
import PostgresNIO
import TidemarkCore

/// The PostgreSQL adapter of `ActionJournal`: each intent and each result (or each batch of
/// them) one transaction, as on SQLite.
extension PostgresCatalog: ActionJournal {
    public func writeIntent(_ intent: ActionIntent, at: Instant) throws(CatalogError) -> Int64 {
        try writeIntents([intent], at: at)[0]
    }

    public func writeIntents(_ intents: [ActionIntent], at: Instant) throws(CatalogError) -> [Int64] {
        try transaction(.write) {
            try intents.map { intent in
                let s = intent.subject
                return try first("""
                    INSERT INTO journal (run_id, file_id, dataset_id, copy_id, request_id, action, rule, reason, target, by, intended, pid, host)
                    VALUES (\(intent.run), \(s.file), \(s.dataset), \(s.copy), \(s.request), \(intent.kind.rawValue), \(intent.rule),
                            \(intent.detail), \(intent.target), \(intent.by), \(at.microseconds), \(Int64(getpid())), \(LockHolder.hostName))
                    RETURNING id
                    """)!.int(0)
            }
        }
    }

    public func writeResults(_ results: [(entry: Int64, outcome: ActionOutcome)], at: Instant) throws(CatalogError) {
        guard !results.isEmpty else { return }
        try transaction(.write) {
            for r in results {
                try execute("""
                    UPDATE journal SET result = \(r.outcome.result.rawValue), detail = \(r.outcome.detail), finished = \(at.microseconds)
                    WHERE id = \(r.entry)
                    """)
            }
        }
    }

    public func writeResult(_ id: Int64, _ result: JournalResult, detail: String?, at: Instant, onlyIfOpen: Bool) throws(CatalogError) -> Bool {
        try transaction(.write) {
            try first("""
                UPDATE journal SET result = \(result.rawValue), detail = \(detail), finished = \(at.microseconds)
                WHERE id = \(id) AND (NOT \(onlyIfOpen) OR result IS NULL) RETURNING id
                """) != nil
        }
    }

    public func actions(subject: ActionSubject) throws(CatalogError) -> [ActionEntry] {
        try transaction(.snapshot) {
            var out: [ActionEntry] = []
            try each("""
                \(unescaped: Self.actionColumns) WHERE file_id = \(subject.file) OR dataset_id = \(subject.dataset) OR copy_id = \(subject.copy)
                                   OR request_id = \(subject.request)
                ORDER BY id
                """) { out.append(try actionEntry($0)) }
            return out
        }
    }

    public func openActions() throws(CatalogError) -> [ActionEntry] {
        try transaction(.snapshot) {
            var out: [ActionEntry] = []
            try each("""
                \(unescaped: Self.actionColumns) WHERE result IS NULL AND file_id IS NULL ORDER BY id
                """) { out.append(try actionEntry($0)) }
            return out
        }
    }

    private static let actionColumns = """
        SELECT id, action, file_id, dataset_id, copy_id, request_id, reason, by, target, rule, run_id, intended, result, detail,
               finished, pid, host FROM journal
        """

    private func actionEntry(_ r: Cells) throws -> ActionEntry {
        let name = try r.text(1)
        guard let kind = ActionKind(rawValue: name) else {
            throw CatalogError(path: url.masked, kind: .corrupt, message: "journal entry #\(try r.int(0)) has an unknown action '\(name)'")
        }
        return ActionEntry(
            id: try r.int(0),
            intent: ActionIntent(kind: kind, subject: ActionSubject(file: try r.optionalInt(2), dataset: try r.optionalInt(3),
                                                                    copy: try r.optionalInt(4), request: try r.optionalInt(5)),
                                 detail: try r.text(6), by: try r.optionalText(7) ?? "", target: try r.optionalText(8),
                                 rule: try r.optionalText(9), run: try r.optionalInt(10)),
            intended: Instant(microseconds: try r.int(11)), result: try r.optionalText(12).flatMap(JournalResult.init(rawValue:)),
            resultDetail: try r.optionalText(13), finished: try r.optionalInt(14).map(Instant.init(microseconds:)),
            pid: try r.optionalInt(15), host: try r.optionalText(16))
    }
}
