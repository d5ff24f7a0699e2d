import ArgumentParser
import Foundation
import TidemarkCore

struct Covers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Which files cover a time, or a time range?",
        discussion: """
            TIME is an instant (20170501T1200) or a range BEGIN,END with either end open \
            (20000101, or ,20170601). Ranges are half-open: a file ending exactly at BEGIN does \
            not cover it. --include-gone adds tombstones: files a scan found missing, and files \
            Tidemark deleted, with when and by what.

            Examples:
              tidemark covers 2017-05-01T12:00 --category raw/nidas
              tidemark covers 20170501,20170502 --context perdigao/ustar --include-gone --json
            """)

    @Argument(help: "TIME or BEGIN,END.") var time: String
    @OptionGroup var filters: FilterOptions
    @Flag(help: "Include missing, deleted and purged files.") var includeGone = false
    @OptionGroup var limit: LimitOption
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let window: TimeWindow
            do {
                let range = try TimeArgument.parseRange(time, now: currentInstant)
                window = try TimeArgument.window(from: range.begin, to: range.end)
            } catch { throw ValidationError("\(error)") }
            var q = CoversQuery(window: window)
            q.context = filters.context
            q.categories = filters.categories
            q.stream = filters.stream
            q.includeGone = includeGone
            q.limit = limit.limit
            let store = try catalog.openCatalog(create: false)
            let entries: [CatalogEntry]
            do { entries = try store.covers(q) } catch { throw Failure.runtime("\(error)") }
            if output.json { try Output.json(entries); return }
            try Output.print(FileTable.render(entries))
        }
    }
}
