import ArgumentParser
import Foundation
import TidemarkCore

struct CoverageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Covered intervals, gaps and the fraction covered, per stream or category.",
        discussion: """
            Example: tidemark coverage --from 2017-05-01 --to 2017-06-01 --context perdigao/ustar --min-gap 10m --svg gaps.svg
            """)

    // `.unconditional`: `--from -30d` is a time, not an option.
    @Option(parsing: .unconditional, help: "Start of the window.") var from: String
    @Option(parsing: .unconditional, help: "End of the window.") var to: String
    @Option(help: "stream or category.") var by: String = "stream"
    @Option(help: "Hide gaps shorter than this (e.g. 10m, 1h).") var minGap: String?
    @OptionGroup var filters: FilterOptions
    @Flag(help: "Print CSV: one line per gap.") var csv = false
    @Option(help: ArgumentHelp("Write a timeline picture (SVG).", valueName: "FILE")) var svg: String?
    @Option(help: ArgumentHelp("Write a timeline picture (PNG, with rsvg-convert from librsvg2-bin).", valueName: "FILE"))
    var png: String?
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard CoverageQuery.Grouping(rawValue: by) != nil else { throw ValidationError("--by takes stream or category") }
        if let minGap { do { _ = try Duration.parse(minGap) } catch { throw ValidationError("--min-gap: \(error)") } }
        if output.json && csv { throw ValidationError("choose one of --json and --csv") }
    }

    func run() throws {
        try exitReporting {
            let now = currentInstant
            var q = CoverageQuery(from: try parseTime(from, option: "--from", now: now), to: try parseTime(to, option: "--to", now: now))
            do { _ = try TimeArgument.window(from: q.from, to: q.to) } catch { throw ValidationError("--from/--to: \(error)") }
            guard q.to > q.from else { throw ValidationError("--to must be after --from") }
            q.by = CoverageQuery.Grouping(rawValue: by)!
            q.minGap = minGap.flatMap(Duration.parseMicroseconds) ?? 0
            q.context = filters.context
            q.categories = filters.categories
            q.stream = filters.stream
            let store = try catalog.openQueryStore()
            let rows: [CoverageRow]
            do { rows = try store.coverage(q) } catch { throw Failure.runtime("\(error)") }

            if svg != nil || png != nil {
                let title = "Coverage" + (filters.context.map { " of \($0)" } ?? "")
                let picture = TimelineSVG(title: title, window: Span(q.from.microseconds, q.to.microseconds), rows: rows).render()
                if let svg { try write(Array(picture.utf8), to: svg) }
                if let png { try renderPNG(picture, to: png) }
            }
            let pictures = [svg, png].compactMap { $0 }
            let done = pictures.isEmpty ? nil : "The timeline was written to \(pictures.joined(separator: " and ")); nothing else was changed."
            if output.json { try Output.json(rows, done: done); return }
            try Output.print(csv ? csvText(rows) : table(rows), done: done)
        }
    }

    /// Writes a picture to a new file or over a regular file of the user's; never through
    /// a symbolic link, nor over a FIFO, a device or another user's file.
    private func write(_ bytes: [UInt8], to path: String) throws {
        do { try OwnedFile.replace(path.pathBytes, with: bytes) } catch {
            throw Failure.runtime("cannot write the picture: \(error)")
        }
    }

    private func renderPNG(_ svgText: String, to path: String) throws {
        guard let tool = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first(where: FileManager.default.isExecutableFile) else {
            throw Failure.runtime("--png needs rsvg-convert: apt-get install librsvg2-bin (or use --svg)")
        }
        // The SVG goes in a private directory, and the PNG comes back on a pipe:
        // rsvg-convert's `-o PATH` would follow a link at PATH.
        var template = Array((FileManager.default.temporaryDirectory.path + "/tidemark-png-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure.runtime("cannot make a temporary directory: \(String(cString: strerror(errno)))") }
        let dir = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(Array(svgText.utf8), to: dir + "/picture.svg")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["--background-color=white", dir + "/picture.svg"]
        let output = Pipe()
        p.standardOutput = output
        try p.run()
        let png = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw Failure.runtime("rsvg-convert failed (exit \(p.terminationStatus)) drawing \(path)") }
        try write(Array(png), to: path)
    }

    private func table(_ rows: [CoverageRow]) -> String {
        if rows.isEmpty { return "(no streams match)" }
        var out: [String] = []
        let body = rows.map { r in
            [r.context, r.category, r.stream.map { $0.isEmpty ? "-" : $0 } ?? "*", String(format: "%.1f%%", r.fraction * 100),
             Format.count(r.gaps.count), Format.span(r.gaps.map(\.length).max() ?? 0),
             Format.span(r.gaps.reduce(0) { $0 + $1.length })]
        }
        out.append(Format.table(["CONTEXT", "CATEGORY", "STREAM", "COVERED", "GAPS", "LONGEST GAP", "GAP TIME"], body,
                                rightAligned: [3, 4, 5, 6]))
        let listed = rows.filter { !$0.gaps.isEmpty }
        if !listed.isEmpty {
            out.append("\nGaps:")
            for r in listed {
                out.append("  \(r.category)\(r.stream.map { $0.isEmpty ? "" : " / \($0)" } ?? ""):")
                for g in r.gaps.prefix(50) {
                    let gone = r.gone.contains { $0.start < g.end && $0.end > g.start } ? "  (gone data)" : ""
                    out.append("    \(Format.time(Instant(microseconds: g.start))) – \(Format.time(Instant(microseconds: g.end)))  \(Format.span(g.length))\(gone)")
                }
                if r.gaps.count > 50 { out.append("    … \(r.gaps.count - 50) more (see --json or --csv)") }
            }
        }
        return out.joined(separator: "\n")
    }

    private func csvText(_ rows: [CoverageRow]) -> String {
        var lines = ["context,category,stream,fraction,gap_start,gap_end,gap_seconds"]
        func q(_ s: String) -> String { s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        for r in rows {
            let prefix = "\(q(r.context)),\(q(r.category)),\(q(r.stream ?? "")),\(String(format: "%.6f", r.fraction))"
            if r.gaps.isEmpty { lines.append(prefix + ",,,") }
            for g in r.gaps {
                lines.append(prefix + ",\(Instant(microseconds: g.start).iso8601),\(Instant(microseconds: g.end).iso8601),\(Double(g.length) / 1e6)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
