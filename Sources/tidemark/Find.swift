import ArgumentParser
import Foundation
import TidemarkCore

struct Find: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List catalogued files by context, category, stream, time and state.",
        discussion: """
            --from/--to select files whose coverage overlaps [FROM, TO). Times: 2017-05-01T12:00:00Z, \
            20170501, 20170501T1200, "2017-05-01 12", mjd:57874.5, now, -2d.

            Example: tidemark find --context perdigao/ustar --category raw/nidas --from 20170501 --to 20170502
            """)

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only this context.") var context: String?
    @Option(name: [.customLong("category"), .customLong("categories")], help: "Only this category (repeatable).")
    var categories: [String] = []
    @Option(help: "Only this stream.") var stream: String?
    // `.unconditional`: `--from -2d` is a time, not an option.
    @Option(parsing: .unconditional, help: "Coverage ending after this time.") var from: String?
    @Option(parsing: .unconditional, help: "Coverage starting before this time.") var to: String?
    @Option(help: "live, missing, deleted, purged, or any (repeatable; default live).")
    var state: [String] = []
    @OptionGroup var limit: LimitOption

    func run() throws {
        try exitReporting {
            var q = FindQuery()
            q.context = context
            q.categories = categories
            q.stream = stream
            let now = currentInstant
            let window: TimeWindow
            do {
                window = try TimeArgument.window(from: try from.map { try parseTime($0, option: "--from", now: now) },
                                                 to: try to.map { try parseTime($0, option: "--to", now: now) })
            } catch let e as TimeArgument.Invalid { throw ValidationError("--from/--to: \(e)") }
            (q.from, q.to) = (window.begin, window.end)
            if !state.isEmpty {
                q.states = try state.contains("any") ? [] : state.map { s in
                    guard let st = FileState(name: s) else { throw ValidationError("unknown state '\(s)'; use live, missing, deleted, purged or any") }
                    return st
                }
            }
            q.limit = limit.limit
            let store = try catalog.openQueryStore()
            let entries: [CatalogEntry]
            do { entries = try store.find(q) } catch { throw Failure.runtime("\(error)") }
            if output.json { try Output.json(entries); return }
            try Output.print(FileTable.render(entries))
        }
    }
}

/// The listing shared by `find` and `inspect`: path last, so long paths stay readable.
enum FileTable {
    static func render(_ entries: [CatalogEntry], showState: Bool = true) -> String {
        if entries.isEmpty { return "(no files)" }
        let rows = entries.map { e in
            [Format.time(e.coverage?.start), Format.time(e.coverage?.end), e.source.rawValue, e.category,
             e.stream.isEmpty ? "-" : e.stream, e.state.name, Format.bytes(e.size),
             e.path.displayPath + (e.goneBy.map { "  (gone \(Format.time(e.goneAt)), \($0))" } ?? e.goneAt.map { "  (gone \(Format.time($0)))" } ?? "")
                + (e.error.map { "  [\($0)]" } ?? "")]
        }
        return Format.table(["START", "END", "SOURCE", "CATEGORY", "STREAM", "STATE", "SIZE", "PATH"], rows, rightAligned: [6])
    }
}
