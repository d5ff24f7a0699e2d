import ArgumentParser
import Foundation
import TidemarkCore
import TidemarkPostgres

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk a context's roots and bring its catalog up to date.",
        discussion: """
            Unchanged files cost one stat; new and changed files have their time coverage read; \
            files that vanished become 'missing' tombstones that keep their coverage.

            Roots are told apart by their directory's device and inode, recorded when first \
            catalogued: the same root given twice (or once through a symbolic link) is walked once, \
            and a tree scanned at a new path is recognised. A root that is, holds or lies inside \
            another root of the catalog is refused (exit 64 for --scan, 2 for a definition's roots), \
            except a root of the same context its definition does not name, which becomes stale. A \
            catalogued root whose path now holds another directory (an empty mount point) or nothing \
            (a moved tree) is unavailable: exit 1, nothing scanned or marked missing. An unreadable \
            root exits 1. See `tidemark root list`.

            Exit status: 0 done (per-file problems are counted and listed), 1 could not run, \
            2 configuration error, 5 refused: another scan of the context, or a policy run on \
            it, is running (nothing was scanned), 64 bad command line.

            Examples:
              tidemark scan perdigao/ustar
              tidemark scan --context perdigao/ustar --scan /data/isfs/projects/Perdigao --db ~/ustar.db --verbose
            """)

    @Argument(help: "The context to scan (catalogs/<context>.toml), e.g. perdigao/ustar.")
    var contextArgument: String?

    @Option(name: .customLong("context"), help: ArgumentHelp("The context (iss_catalog.py spelling).", valueName: "NAME"))
    var contextOption: String?

    @Option(name: .customLong("scan"), help: ArgumentHelp("A root to scan instead of the definition's roots (repeatable).", valueName: "DIR"))
    var scanRoots: [String] = []

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Worker threads, 1 to 256 (default: the number of cores, at most 8; 8 for a PostgreSQL catalog).")
    var threads: Int?

    @Flag(help: "Follow symbolic links (off: they are counted and skipped).")
    var followSymlinks = false

    @Flag(help: "Read every file's time coverage again, changed or not.")
    var reread = false

    @Flag(help: "Give NIDAS archives the coverage of their first and last sample time tags (reads whole files).")
    var nidasTimeTags = false

    @Flag(name: .shortAndLong, help: "No progress line and no summary table; problems still go to stderr.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "A line per new, changed, back and missing file (on stderr with --json), before the summary.")
    var verbose = false

    func validate() throws {
        if contextArgument != nil && contextOption != nil && contextArgument != contextOption {
            throw ValidationError("the context is given twice ('\(contextArgument!)' and --context '\(contextOption!)')")
        }
        if contextArgument == nil && contextOption == nil {
            throw ValidationError("name the context to scan, e.g. `tidemark scan perdigao/ustar`")
        }
        if let threads, !(1...WalkOptions.maxThreads).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(WalkOptions.maxThreads)")
        }
        if verbose && quiet { throw ValidationError("--verbose and --quiet ask for opposite things: give one") }
    }

    func run() throws {
        try exitReporting {
            let name = contextArgument ?? contextOption!
            let definition = try catalog.definition(for: name)
            let roots = scanRoots.isEmpty ? definition.roots : scanRoots.map(absolutePath)
            if roots.isEmpty {
                throw Failure.configuration("context '\(name)' has no roots in \(definition.file); give one with --scan DIR")
            }
            let store = try catalog.openScanStore()
            var options = ScanOptions()
            if let threads { options.walk.threads = threads }
            // Each lookup on a server waits on the network: more walkers hide that wait (an
            // unchanged 200,000-file rescan took 1.98 s with 2, 1.38 s with 8 on 2 cores).
            else if store is PostgresScanStore { options.walk.threads = 8 }
            options.walk.followSymlinks = followSymlinks
            options.reread = reread
            let scanner = Scanner(catalog: store, definition: definition, roots: roots.map(\.pathBytes),
                                  resolver: TestHooks.resolver(.standard(readNIDASTimeTags: nidasTimeTags)), options: options,
                                  explicitRoots: !scanRoots.isEmpty)

            let progress = ScanProgress(onFile: verbose ? FileLines(toStderr: output.json).print : nil)
            // The file lines are the progress when asked for.
            let ticker = (!quiet && !verbose && Terminal.stderrIsTerminal) ? ProgressTicker(progress) : nil
            let report: ScanReport
            do { report = try scanner.run(progress: progress) } catch {
                ticker?.stop()
                if case ScanError.busy = error {
                    Terminal.error("\(error)")
                    throw ExitCode(PolicyExit.locked)
                }
                // Overlapping roots: a mistake in the definition (2) or on the command line (64).
                if case .rootsOverlap(let c)? = error as? ScanError {
                    throw c.fromDefinition ? Failure.configuration("\(error)") : Failure.usage("\(error)")
                }
                throw Failure.runtime("\(error)")
            }
            ticker?.stop()
            if !output.json { for n in report.notes { Terminal.note(n) } }
            // Purged files found back (regenerated by hand): their dependents are full.
            let requests = (store as? any RequestStore) ?? (store as? PostgresScanStore)?.catalog
            do { _ = try requests?.settleRegenerated(at: currentInstant, by: "scan of \(report.context)") } catch { throw Failure.runtime("\(error)") }

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
            // PostgreSQL answers queries through its catalog (where the query store is).
            let queries = (store as? any QueryStore) ?? ((store as? PostgresScanStore)?.catalog as? any QueryStore)
            do { summary = try queries?.summary(context: report.context) ?? [] } catch { throw Failure.runtime("\(error)") }
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
        case directories, symlinks_skipped, problems, notes, phases
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
        try c.encode(report.notes, forKey: .notes)
        try c.encode(report.phases.rounded, forKey: .phases)
    }
}

/// `--verbose`: one line per file event, `new  PATH`, whole lines from many threads.
private struct FileLines: Sendable {
    let toStderr: Bool

    func print(_ e: ScanProgress.FileEvent) {
        let line = Array((e.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + e.path.displayPath + "\n").utf8)
        // One write(2) per line: lines from different workers never mix. A lost line cannot
        // stop the scan; the summary written after it reports a failed output.
        _ = Output.writeAll(toStderr ? STDERR_FILENO : STDOUT_FILENO, line)
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
