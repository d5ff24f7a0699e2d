import ArgumentParser
import Foundation
import TidemarkCore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Counts, bytes, oldest and newest coverage, missing and deleted files, by meaning.",
        discussion: "The `du` of the archive by context, category, stream or month (of coverage start).")

    @Option(help: "context, category, stream or month.") var by: String = "category"
    @OptionGroup var filters: FilterOptions
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard ReportQuery.Grouping(rawValue: by) != nil else { throw ValidationError("--by takes context, category, stream or month") }
    }

    func run() throws {
        try exitReporting {
            var q = ReportQuery()
            q.by = ReportQuery.Grouping(rawValue: by)!
            q.context = filters.context
            q.categories = filters.categories
            q.stream = filters.stream
            let store = try catalog.openQueryStore()
            let rows: [ReportRow]
            do { rows = try store.report(q) } catch { throw Failure.runtime("\(error)") }
            if output.json { try Output.json(rows); return }
            let keys: [String] = switch q.by {
            case .context: ["context"]
            case .category: ["context", "category"]
            case .stream: ["context", "category", "stream"]
            case .month: ["month"]
            }
            var body = rows.map { r in
                keys.map { r.group[$0].map { $0.isEmpty ? "-" : $0 } ?? "-" }
                    + [Format.count(r.files), Format.bytes(r.bytes), Format.time(r.oldest), Format.time(r.newest),
                       Format.count(r.missing), Format.count(r.deleted)]
            }
            let total = ReportRow.total(rows)
            body.append(["total"] + Array(repeating: "", count: keys.count - 1)
                        + [Format.count(total.files), Format.bytes(total.bytes), Format.time(total.oldest), Format.time(total.newest),
                           Format.count(total.missing), Format.count(total.deleted)])
            let n = keys.count
            try Output.print(Format.table(keys.map { $0.uppercased() } + ["FILES", "SIZE", "OLDEST", "NEWEST", "MISSING", "DELETED"], body,
                               rightAligned: [n, n + 1, n + 4, n + 5]))
        }
    }
}
