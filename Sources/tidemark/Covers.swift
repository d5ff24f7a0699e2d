import ArgumentParser
import Foundation
import TidemarkCore

struct Covers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Which files cover a time, or a time range?",
        discussion: """
            TIME is an instant (20170501T1200) or a range BEGIN,END with either end open \
            (20000101, or ,20170601); relative times count back from now (-2d, -6h,now). Ranges \
            are half-open: a file ending exactly at BEGIN does not cover it. --include-gone adds tombstones: files a scan found missing, and files \
            Tidemark deleted, with when and by what.

            Examples:
              tidemark covers 2017-05-01T12:00 --category raw/nidas
              tidemark covers 20170501,20170502 --context perdigao/ustar --include-gone --json
            """)

    // Captures every word no option took, so that `-2d` (which looks like an option) is
    // the time too; validate() refuses anything else.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("TIME or BEGIN,END.", valueName: "time")) var words: [String] = []
    @OptionGroup var filters: FilterOptions
    @Flag(help: "Include missing, deleted and purged files.") var includeGone = false
    @OptionGroup var limit: LimitOption
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    /// The one TIME or BEGIN,END argument.
    var time: String { times.first ?? "" }

    /// The words that are times: those after a `--`, and those before it that are no option.
    private var times: [String] {
        guard let end = words.firstIndex(of: "--") else { return words }
        return Array(words[..<end] + words[(end + 1)...])
    }

    func validate() throws {
        let beforeEnd = words.prefix { $0 != "--" }
        if let option = beforeEnd.first(where: { $0.hasPrefix("-") && !Self.looksRelative($0) }) {
            throw ValidationError("unknown option '\(option)'; see `tidemark covers --help`")
        }
        guard times.count == 1 else {
            throw ValidationError(times.isEmpty ? "name a time or a range, e.g. `tidemark covers 2017-05-01T12:00` or `tidemark covers -2d,now`"
                                                : "give one TIME or BEGIN,END, not \(times.map { "'\($0)'" }.joined(separator: " "))")
        }
    }

    /// A minus and a digit (`-2d`, `-6h,now`): a relative time, since no option starts so.
    static func looksRelative(_ word: String) -> Bool {
        let u = Array(word.utf8)
        return u.count >= 2 && u[0] == UInt8(ascii: "-") && u[1] >= UInt8(ascii: "0") && u[1] <= UInt8(ascii: "9")
    }

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
            let store = try catalog.openQueryStore()
            let entries: [CatalogEntry]
            do { entries = try store.covers(q) } catch { throw Failure.runtime("\(error)") }
            if output.json { try Output.json(entries); return }
            try Output.print(FileTable.render(entries))
        }
    }
}
