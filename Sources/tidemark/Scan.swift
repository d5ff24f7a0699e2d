import ArgumentParser
import Foundation
import TidemarkCore

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk a context's roots and bring its catalog up to date.",
        discussion: """
            Unchanged files cost one stat; new and changed files have their time coverage read; \
            files that vanished become 'missing' tombstones that keep their coverage.

            Examples:
              tidemark scan perdigao/ustar
              tidemark scan --context perdigao/ustar --scan /data/isfs/projects/Perdigao --db ~/ustar.db
            """)

    @Argument(help: "The context to scan (catalogs/<context>.toml), e.g. perdigao/ustar.")
    var contextArgument: String?

    @Option(name: .customLong("context"), help: ArgumentHelp("The context (iss_catalog.py spelling).", valueName: "NAME"))
    var contextOption: String?

    @Option(name: .customLong("scan"), help: ArgumentHelp("A root to scan instead of the definition's roots (repeatable).", valueName: "DIR"))
    var scanRoots: [String] = []

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?

    @Flag(help: "Follow symbolic links (off: they are counted and skipped).")
    var followSymlinks = false

    @Flag(help: "Read every file's time coverage again, changed or not.")
    var reread = false

    @Flag(help: "Give NIDAS archives the coverage of their first and last sample time tags (reads whole files).")
    var nidasTimeTags = false

    @Flag(name: .shortAndLong, help: "No progress line and no summary table; problems still go to stderr.")
    var quiet = false

    func validate() throws {
        if contextArgument != nil && contextOption != nil && contextArgument != contextOption {
            throw ValidationError("the context is given twice ('\(contextArgument!)' and --context '\(contextOption!)')")
        }
        if contextArgument == nil && contextOption == nil {
            throw ValidationError("name the context to scan, e.g. `tidemark scan perdigao/ustar`")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try exitReporting {
            let name = contextArgument ?? contextOption!
            let definition = try catalog.definition(for: name)
            let roots = scanRoots.isEmpty ? definition.roots : scanRoots.map(absolutePath)
            if roots.isEmpty {
                throw Failure.configuration("context '\(name)' has no roots in \(definition.file); give one with --scan DIR")
            }
            let store = try catalog.openCatalog(create: true)
            var options = ScanOptions()
            if let threads { options.walk.threads = threads }
            options.walk.followSymlinks = followSymlinks
            options.reread = reread
            let scanner = Scanner(catalog: store, definition: definition, roots: roots.map(\.pathBytes),
                                  resolver: TestHooks.resolver(.standard(readNIDASTimeTags: nidasTimeTags)), options: options)

            let progress = ScanProgress()
            let ticker = (!quiet && Terminal.stderrIsTerminal) ? ProgressTicker(progress) : nil
            let report: ScanReport
            do { report = try scanner.run(progress: progress) } catch {
                ticker?.stop()
                throw Failure.runtime("\(error)")
            }
            ticker?.stop()

            let done = "The scan itself finished: the catalog \(store.path) is up to date for \(report.context)."
            if output.json {
                try Output.json(ScanJSON(report, catalog: store.path), done: done)
                return
            }
            for p in report.problems.prefix(quiet ? 0 : 20) { Terminal.note("\(p.path.displayPath): \(p.message)") }
            if report.problems.count > 20 && !quiet {
                Terminal.note("… and \(report.problems.count - 20) more problems (see `scan --json`)")
            }
            guard !quiet else { return }
            let summary: [CategorySummary]
            do { summary = try store.summary(context: report.context) } catch { throw Failure.runtime("\(error)") }
            try Output.print("""
                Scanned \(report.context) (\(report.roots.joined(separator: ", "))) in \(Format.seconds(report.seconds))
                  \(Format.count(report.files)) files, \(Format.bytes(report.bytes)): \(Format.count(report.new)) new, \
                \(Format.count(report.changed)) changed, \(Format.count(report.unchanged)) unchanged, \
                \(Format.count(report.missing)) missing, \(Format.count(report.revived)) back, \(Format.count(report.errors)) errors\
                \(report.symlinksSkipped > 0 ? ", \(report.symlinksSkipped) symlinks skipped" : "")

                The catalog \(store.path) holds for \(report.context):
                \(SummaryTable.render(summary))
                """, done: done)
        }
    }
}

/// `scan --json`: the report, plus where the catalog is.
private struct ScanJSON: Encodable {
    let report: ScanReport
    let catalog: String
    init(_ r: ScanReport, catalog: String) { report = r; self.catalog = catalog }

    enum CodingKeys: String, CodingKey {
        case context, roots, catalog, files, new, changed, unchanged, missing, revived, errors, bytes, seconds
        case directories, symlinks_skipped, problems
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(report.context, forKey: .context)
        try c.encode(report.roots, forKey: .roots)
        try c.encode(catalog, forKey: .catalog)
        try c.encode(report.files, forKey: .files)
        try c.encode(report.new, forKey: .new)
        try c.encode(report.changed, forKey: .changed)
        try c.encode(report.unchanged, forKey: .unchanged)
        try c.encode(report.missing, forKey: .missing)
        try c.encode(report.revived, forKey: .revived)
        try c.encode(report.errors, forKey: .errors)
        try c.encode(report.bytes, forKey: .bytes)
        try c.encode((report.seconds * 1000).rounded() / 1000, forKey: .seconds)
        try c.encode(report.directories, forKey: .directories)
        try c.encode(report.symlinksSkipped, forKey: .symlinks_skipped)
        try c.encode(report.problems, forKey: .problems)
    }
}

/// Prints a progress line on stderr four times a second while a scan runs.
final class ProgressTicker: @unchecked Sendable {
    private let timer: DispatchSourceTimer
    private let started = Date()

    init(_ progress: ScanProgress) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + 0.25, repeating: 0.25)
        timer.setEventHandler { [started] in
            let s = progress.snapshot
            let elapsed = max(0.001, Date().timeIntervalSince(started))
            Terminal.progress("scanning: \(Format.count(s.files)) files, \(Format.bytes(s.bytes)), "
                              + "\(Format.count(Int(Double(s.files) / elapsed))) files/s, \(Format.count(s.new)) new, "
                              + "\(Format.count(s.changed)) changed, \(Format.count(s.errors)) errors")
        }
        timer.resume()
    }

    func stop() {
        timer.cancel()
        Terminal.clearProgress()
    }
}
