import ArgumentParser
import Foundation
import TidemarkCore

/// A plan, and what executing it did, for people (a table) and scripts (`--json`).
struct PlanOutput: Encodable {
    let plan: Plan
    let catalog: String
    var settled: SettleReport?
    var report: ExecutionReport?

    init(plan: Plan, catalog: String) { self.plan = plan; self.catalog = catalog }

    func print(json: Bool) throws {
        if json { try Output.json(self, done: done) } else { try Output.print(text, done: done) }
    }

    /// What was done and committed before printing, for the message when printing fails.
    var done: String? {
        if let r = report {
            return "The run itself finished: run #\(r.runId) removed \(r.count(.done)) files and is recorded in the journal of the catalog \(catalog)."
        }
        if let s = settled, !s.isEmpty {
            return "The journal of the interrupted run was settled in the catalog \(catalog); nothing else was changed."
        }
        return nil
    }

    var text: String {
        var out: [String] = []
        if let s = settled, !s.isEmpty {
            out.append("Settled the journal of interrupted run\(s.runs.count == 1 ? "" : "s") \(s.runs.map { "#\($0)" }.joined(separator: ", ")): "
                       + "\(Format.count(s.removed)) file\(s.removed == 1 ? " was" : "s were") removed before it stopped, \(Format.count(s.notDone)) not"
                       + (s.unresolved > 0 ? ", \(Format.count(s.unresolved)) could not be checked (left open)" : ""))
            for u in s.unresolvedRoots { out.append("  " + u.description) }
            for (e, o) in s.actions {
                out.append("  journal entry #\(e.id) (\(e.intent.kind.rawValue): \(e.intent.detail)), left open by a writer that died, "
                           + "settled as \(o.result.rawValue): \(o.detail ?? "")")
            }
        }
        out.append("Plan of policy \(plan.policy) for \(plan.context) at \(plan.now.iso8601) (catalog \(catalog)):")
        for r in plan.rules {
            out.append("  rule \"\(r.rule)\" (\(r.kind)): \(Format.count(r.files)) file\(r.files == 1 ? "" : "s"), \(Format.bytes(r.bytes)) — \(r.note)")
        }
        for r in plan.skippedRoots {
            out.append("  root \(r.path.displayPath) skipped, nothing under it is planned: " + Self.why(r))
        }
        if plan.openJournalEntries > 0 {
            out.append("  \(plan.openJournalEntries) file\(plan.openJournalEntries == 1 ? "" : "s") left open in the journal by an interrupted run are not planned; the next run with --yes settles them")
        }
        if plan.isEmpty {
            out.append("Nothing to do.")
            return out.joined(separator: "\n")
        }
        out += datasetText
        let results = report.map { Dictionary($0.results.map { ($0.action.fileId, $0) }, uniquingKeysWith: { a, _ in a }) }
        guard !plan.actions.isEmpty else { return out.joined(separator: "\n") }
        let rows = plan.actions.map { a -> [String] in
            var row = [Format.bytes(a.bytes), Format.time(a.coverage?.start), Format.time(a.coverage?.end), a.category, a.rule]
            if let r = results?[a.fileId] { row.append(r.result.rawValue) }
            row.append(a.path.displayPath + (results?[a.fileId]?.detail.map { "  [\($0)]" } ?? ""))
            return row
        }
        let header = ["SIZE", "START", "END", "CATEGORY", "RULE"] + (report == nil ? [] : ["RESULT"]) + ["PATH"]
        out.append(Format.table(header, rows, rightAligned: [0]))
        out.append("Total: \(Format.count(plan.actions.count)) file\(plan.actions.count == 1 ? "" : "s"), \(Format.bytes(plan.bytes)).")
        if let r = report {
            out.append("Run #\(r.runId): removed \(Format.count(r.count(.done))) files (\(Format.bytes(r.bytesRemoved))); "
                       + "\(r.count(.skipped)) skipped, \(r.count(.failed)) failed, \(r.count(.gone)) already gone.")
        } else {
            out.append("Nothing was changed. Run again with --yes to remove these files.")
        }
        return out.joined(separator: "\n")
    }

    enum CodingKeys: String, CodingKey {
        case policy, context, catalog, now, executed, run, actions, rules, totals, open_journal_entries, results, settled, skipped_roots
        case dataset_actions
    }

    /// The plan's dataset actions, one line each, with what became of each when run.
    var datasetText: [String] {
        guard !plan.datasetActions.isEmpty else { return [] }
        let results = report?.datasetResults ?? []
        var out = ["Dataset actions (after the removals they wait for):"]
        for (i, a) in plan.datasetActions.enumerated() {
            let outcome = i < results.count ? results[i].outcome : nil
            let done = outcome.map { " — \($0.result.rawValue)" + ($0.detail.map { ": \($0)" } ?? "") } ?? ""
            switch a {
            case .state(let c):
                out.append("  dataset \(c.dataset): state \(c.from) → \(c.to) once its \(c.after.count) file\(c.after.count == 1 ? "" : "s") "
                           + "are removed (rule \"\(c.rule)\")" + done)
            }
        }
        return out
    }

    /// Why a plan leaves a root alone.
    static func why(_ r: RootState) -> String { r.isCurrent ? "unavailable: \(r.unavailable ?? "")" : r.why }

    /// Ends the command with exit 1 when a current root is unavailable (an unmounted disk, a
    /// moved tree), after the plan or the run was printed: cron must hear of it.
    func failIfRootsUnavailable() throws {
        var messages = plan.skippedRoots.filter(\.isCurrent).map {
            "root \($0.path.displayPath) of \(plan.context) is unavailable: \($0.unavailable ?? ""); nothing under it was planned or removed. \($0.remedy)"
        }
        messages += (settled?.unresolvedRoots ?? []).filter(\.isUnavailable).map(\.description)
        guard !messages.isEmpty else { return }
        for m in messages { Terminal.error(m) }
        throw ExitCode(1)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(plan.policy, forKey: .policy)
        try c.encode(plan.context, forKey: .context)
        try c.encode(catalog, forKey: .catalog)
        try c.encode(plan.now.iso8601, forKey: .now)
        try c.encode(report != nil, forKey: .executed)
        try c.encode(report?.runId, forKey: .run)
        let results = report.map { Dictionary($0.results.map { ($0.action.fileId, $0) }, uniquingKeysWith: { a, _ in a }) }
        try c.encode(plan.actions.map { ActionJSON(action: $0, result: results?[$0.fileId]) }, forKey: .actions)
        try c.encode(plan.rules.map(RuleJSON.init), forKey: .rules)
        let datasetResults = report?.datasetResults ?? []
        try c.encode(plan.datasetActions.enumerated().map { i, a in
            DatasetActionJSON(a, i < datasetResults.count ? datasetResults[i].outcome : nil)
        }, forKey: .dataset_actions)
        try c.encode(["files": Int64(plan.actions.count), "bytes": plan.bytes], forKey: .totals)
        try c.encode(plan.openJournalEntries, forKey: .open_journal_entries)
        if let r = report {
            try c.encode(["done": Int64(r.count(.done)), "skipped": Int64(r.count(.skipped)), "failed": Int64(r.count(.failed)),
                          "gone": Int64(r.count(.gone)), "bytes_removed": r.bytesRemoved], forKey: .results)
        }
        if let s = settled {
            try c.encode(SettledJSON(runs: s.runs, removed: s.removed, not_done: s.notDone, unresolved: s.unresolved,
                                     open_roots: s.unresolvedRoots.map {
                                         OpenRootJSON(path: $0.root.path.displayPath, context: $0.root.context, intents: $0.intents,
                                                      unavailable: $0.isUnavailable, why: $0.reason)
                                     },
                                     actions: s.actions.map {
                                         SettledActionJSON(journal_id: $0.entry.id, action: $0.entry.intent.kind.rawValue,
                                                           intent: $0.entry.intent.detail, result: $0.outcome.result.rawValue, detail: $0.outcome.detail)
                                     }), forKey: .settled)
        }
        try c.encode(plan.skippedRoots.map {
            SkippedRootJSON(path: $0.path.displayPath, state: $0.isCurrent ? "current" : "stale", unavailable: $0.isCurrent, why: Self.why($0))
        }, forKey: .skipped_roots)
    }

    private struct ActionJSON: Encodable {
        let action: PlannedAction
        let result: ActionResult?
        enum CodingKeys: String, CodingKey { case path, path_bytes, bytes, reason, rule, action, category, stream, start, end, result, detail }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(action.path.displayPath, forKey: .path)
            if !action.path.isPlainText { try c.encode(action.path.hexBytes, forKey: .path_bytes) }
            try c.encode(action.bytes, forKey: .bytes)
            try c.encode(action.reason, forKey: .reason)
            try c.encode(action.rule, forKey: .rule)
            try c.encode(action.kind.rawValue, forKey: .action)
            try c.encode(action.category, forKey: .category)
            try c.encode(action.stream, forKey: .stream)
            try c.encode(action.coverage?.start.iso8601, forKey: .start)
            try c.encode(action.coverage?.end.iso8601, forKey: .end)
            if let result {
                try c.encode(result.result.rawValue, forKey: .result)
                try c.encode(result.detail, forKey: .detail)
            }
        }
    }

    private struct RuleJSON: Encodable {
        let rule: String, kind: String, files: Int, bytes: Int64, note: String
        init(_ r: RuleOutcome) { rule = r.rule; kind = r.kind; files = r.files; bytes = r.bytes; note = r.note }
    }

    private struct DatasetActionJSON: Encodable {
        let action: String, dataset: String, category: String, rule: String, from: String?, to: String?, files: Int
        let result: String?, detail: String?

        init(_ a: DatasetAction, _ outcome: ActionOutcome?) {
            switch a {
            case .state(let c):
                action = "state"; dataset = c.dataset; category = c.category; rule = c.rule; from = c.from; to = c.to; files = c.after.count
            }
            result = outcome?.result.rawValue; detail = outcome?.detail
        }
    }

    private struct SettledJSON: Encodable {
        let runs: [Int64], removed: Int, not_done: Int, unresolved: Int, open_roots: [OpenRootJSON], actions: [SettledActionJSON]
    }

    /// A dataset action (a state change) whose writer died with its intent open, and how it was settled.
    private struct SettledActionJSON: Encodable {
        let journal_id: Int64, action: String, intent: String, result: String, detail: String?
    }

    private struct OpenRootJSON: Encodable {
        let path: String, context: String, intents: Int, unavailable: Bool, why: String
    }

    private struct SkippedRootJSON: Encodable {
        let path: String, state: String, unavailable: Bool, why: String
    }
}
