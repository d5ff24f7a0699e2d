import ArgumentParser
import Foundation
import TidemarkCore

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Age off the oldest catalogued files of some categories (as iss_catalog.py delete).",
        discussion: """
            Among the live catalogued files of the --categories whose coverage lies in the time \
            range, the oldest first, until --size megabytes are chosen (or --free bytes, or until \
            the file system holding the root is used below --until-usage). The newest \
            --keep-newest files of each stream are always kept; a file dated over a day after now \
            does not count as the newest, and goes only with a --time or --before that ends after \
            it. A dataset goes whole or not at all. Without --yes the plan is printed \
            and nothing changes; with --yes each file is checked again (device, inode, size, mtime, ctime; \
            no symbolic link followed) and removed under the journal, and becomes a 'deleted' \
            tombstone that `find --state deleted` shows with its run.

            Sizes: --size in MB (10^6 bytes); --free 100G, 2T, 500GiB. Times as for `find`; \
            --time BEGIN,END with either end open (20000101,).

            \(PolicyExit.help)

            Examples:
              tidemark delete --time 20000101, --size 100000 --context perdigao/ustar --db ~/ustar.db \\
                  --categories raw/nidas --categories merge
              tidemark delete --context perdigao/ustar --categories raw/dsm --before 2017-06-01 --yes
              tidemark delete --context perdigao/ustar --categories merge --until-usage 80% --yes
            """)

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var flags: ExecuteFlags

    @Option(help: "The context whose files to delete, e.g. perdigao/ustar.") var context: String
    @Option(name: [.customLong("categories"), .customLong("category")], help: "A category to age off (repeatable).")
    var categories: [String] = []
    // `.unconditional`: `--before -30d` is a time, not an option.
    @Option(parsing: .unconditional, help: ArgumentHelp("Only files whose coverage lies in BEGIN,END (either end may be open).", valueName: "BEGIN,END"))
    var time: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Only files whose coverage ends by this time.", valueName: "TIME")) var before: String?
    @Option(help: ArgumentHelp("Oldest first until this many megabytes (10^6 bytes) are chosen.", valueName: "MB")) var size: Double?
    @Option(help: ArgumentHelp("Oldest first until this much is chosen: 100G, 2T, 500GiB.", valueName: "SIZE")) var free: String?
    @Option(help: ArgumentHelp("Only if the root's file system is used above this, oldest first until below it.", valueName: "PERCENT"))
    var untilUsage: String?
    @Option(help: "The newest files of each stream that are always kept (at least 1).") var keepNewest = 1

    func validate() throws {
        if categories.isEmpty { throw ValidationError("name the categories to age off with --categories, e.g. --categories raw/nidas") }
        if keepNewest < 1 { throw ValidationError("--keep-newest must be at least 1: the newest file of each stream is never deleted") }
        if [size != nil, free != nil, untilUsage != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give one of --size, --free and --until-usage")
        }
        if time == nil && before == nil && size == nil && free == nil && untilUsage == nil {
            throw ValidationError("this would delete every file of those categories: give --time, --before, --size, --free or --until-usage")
        }
    }

    func run() throws {
        try exitReporting {
            let now = Instant(secondsSince1970: Date().timeIntervalSince1970)
            var rule = AgeOffRule(name: "delete", categories: categories, keepNewest: keepNewest,
                                  categoriesLocation: SourceLocation(file: "<command line>", key: "--categories"))
            do {
                if let time {
                    (rule.from, rule.to) = try TimeArgument.parseRange(time, now: now)
                    if let f = rule.from, let t = rule.to, f >= t { throw ValidationError("--time \(time): the range is empty") }
                }
                if let before {
                    let b = try TimeArgument.parse(before, now: now)
                    rule.to = min(rule.to ?? b, b)
                }
            } catch let e as TimeArgument.Invalid { throw ValidationError(e.description) }
            if let size {
                guard size > 0, let b = Quantity.bytes(megabytes: size) else {
                    throw ValidationError("--size \(size) is not a size in megabytes; give a number above 0 and below 9e12 (9 EB)")
                }
                rule.target = .bytes(b)
            }
            if let free {
                guard let b = Quantity.bytes(free), b > 0 else { throw ValidationError("--free '\(free)' is not a size; write e.g. 100G, 2T or 500GiB") }
                rule.target = .bytes(b)
            }
            if let untilUsage {
                let p: Double
                do { p = try Quantity.percentage(untilUsage) } catch { throw ValidationError("--until-usage: \(error)") }
                guard p > 0 else { throw ValidationError("--until-usage must be above 0%") }
                rule.target = .watermark(high: p, low: p)
            }
            let policy = Policy(name: "delete", context: context, rules: [.ageOff(rule)], file: "<command line>")
            try PolicyRunner(policy: policy, catalog: catalog, json: output.json, execute: flags.yes, batchSize: flags.batchSize).run()
        }
    }
}
