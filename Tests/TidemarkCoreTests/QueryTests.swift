import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GRDB
import Testing
@testable import TidemarkCore
import TestSupport

/// A catalog filled with random files straight into its tables, then finished as a scan
/// finishes, so queries can be checked against brute force over the same rows.
struct RandomCatalog {
    struct File { var stream: Int; var start: Int64; var end: Int64; var state: Int; var size: Int64 }
    let catalog: SQLiteCatalog
    var files: [File] = []
    let streams: [(category: String, name: String)]
    static let second: Int64 = 1_000_000

    init(seed: UInt64, streams count: Int = 5, files n: Int = 300, span: Int64 = 2000) throws {
        var rng = SplitMix(seed: seed)
        catalog = try temporaryCatalog()
        streams = (0..<count).map { i in (i % 2 == 0 ? "raw" : "merge", "s\(i)") }
        for _ in 0..<n {
            let stream = Int(rng.next() % UInt64(count))
            let start = Int64(rng.next() % UInt64(span)) * Self.second
            // Instants, short files, long files; whole seconds so brute force can count seconds.
            let kind = rng.next() % 10
            let length: Int64 = kind == 0 ? 0 : Int64(1 + rng.next() % (kind == 1 ? 400 : 40)) * Self.second
            let state = rng.next() % 5 == 0 ? Int(1 + rng.next() % 3) : 0
            files.append(File(stream: stream, start: start, end: start + length, state: state, size: Int64(rng.next() % 1000)))
        }
        try catalog.pool.write { [files, streams] db in
            try db.execute(sql: "INSERT INTO contexts (id, name) VALUES (1, 'ctx'); INSERT INTO roots (id, context_id, path) VALUES (1, 1, X'2F64'); INSERT INTO dirs VALUES (1, 1, X'')")
            for (i, s) in streams.enumerated() {
                try db.execute(sql: "INSERT INTO streams (id, context_id, category, name) VALUES (?, 1, ?, ?)", arguments: [i + 1, s.category, s.name])
            }
            for (i, f) in files.enumerated() {
                try db.execute(sql: """
                    INSERT INTO files (dir_id, name, size, mtime, inode, device, stream_id, start, "end", source, state)
                    VALUES (1, ?, ?, 0, ?, 1, ?, ?, ?, 2, ?)
                    """, arguments: [Data("f\(i)".utf8), f.size, i, f.stream + 1, f.start, f.end, f.state])
            }
            try StreamFinisher(db: db).finish(streams: (1...streams.count).map(Int64.init))
        }
    }

    /// The spec, written out plainly: half-open intervals; an instant lies in `[a, b)` when `a <= t < b`.
    static func overlaps(_ f: File, _ a: Int64?, _ b: Int64?) -> Bool {
        let lo = a ?? Int64.min, hi = b ?? Int64.max
        if let a, let b, a == b {  // an instant query
            return f.start == f.end ? f.start == a : (f.start <= a && a < f.end)
        }
        if f.start == f.end { return lo <= f.start && f.start < hi }
        return f.start < hi && f.end > lo
    }
}

@Suite struct CoversTests {
    @Test(arguments: 1...12)
    func coversAgreesWithBruteForce(seed: Int) throws {
        let rc = try RandomCatalog(seed: UInt64(seed))
        var rng = SplitMix(seed: UInt64(seed) * 7919)
        let s = RandomCatalog.second
        for trial in 0..<60 {
            let a = Int64(rng.next() % 2100) * s
            var window: (Int64?, Int64?)
            switch trial % 6 {
            case 0: window = (a, a)                                           // an instant
            case 1: window = (nil, a)                                         // open start
            case 2: window = (a, nil)                                         // open end
            case 3: window = (a, a + s)                                       // a second
            default: window = (a, a + Int64(rng.next() % 300) * s)            // a range, maybe empty
            }
            let includeGone = trial % 2 == 0
            let streamFilter: Int? = trial % 5 == 0 ? Int(rng.next() % 5) : nil
            var q = CoversQuery(window: TimeWindow(begin: window.0.map(Instant.init(microseconds:)), end: window.1.map(Instant.init(microseconds:))))
            q.includeGone = includeGone
            q.stream = streamFilter.map { "s\($0)" }
            let got = try rc.catalog.covers(q).map { String(decoding: $0.path.split(separator: UInt8(ascii: "/")).last!, as: UTF8.self) }.sorted()
            let expected = rc.files.enumerated().filter { i, f in
                (includeGone || f.state == 0) && (streamFilter == nil || f.stream == streamFilter)
                    && RandomCatalog.overlaps(f, window.0, window.1)
            }.map { "f\($0.offset)" }.sorted()
            let extra = Set(got).subtracting(expected), missing = Set(expected).subtracting(got)
            #expect(got == expected, "seed \(seed) trial \(trial) window \(String(describing: window)): extra \(extra.sorted()), missing \(missing.sorted())")
        }
    }

    @Test func touchingIntervalsDoNotOverlap() throws {
        let tree = TempTree("touch")
        tree.write("raw_data/isfs_20170501_000000.dat")
        tree.write("raw_data/isfs_20170501_040000.dat")
        let catalog = try temporaryCatalog()
        let d = try ContextDefinition(file: "t", text: """
            [[rule]]
            match = "raw_data/isfs_%Y%m%d_%H%M%S.dat"
            category = "raw"
            length = "4h"
            """, defaultName: "t")
        _ = try Scanner(catalog: catalog, definition: d, roots: [tree.rootBytes]).run()
        let four = Instant(year: 2017, month: 5, day: 1, hour: 4)!
        // The instant 04:00 lies in the second file only; [00:00, 04:00) in the first only.
        #expect(try catalog.covers(CoversQuery(window: .instant(four))).map(\.coverage?.start) == [four])
        let first = try catalog.covers(CoversQuery(window: TimeWindow(begin: Instant(year: 2017, month: 5, day: 1), end: four)))
        #expect(first.count == 1 && first[0].coverage?.end == four)
        #expect(try catalog.covers(CoversQuery(window: .instant(Instant(year: 2017, month: 5, day: 1, hour: 8)!))).isEmpty)
    }

    @Test func tombstonesSayWhenTheyWent() throws {
        let tree = TempTree("gone")
        tree.write("raw_data/isfs_20170501_000000.dat")
        tree.write("raw_data/isfs_20170501_040000.dat")
        let catalog = try temporaryCatalog()
        let d = try ContextDefinition(file: "t", text: "[[rule]]\nmatch = \"raw_data/isfs_%Y%m%d_%H%M%S.dat\"\ncategory = \"raw\"\nlength = \"4h\"", defaultName: "t")
        _ = try Scanner(catalog: catalog, definition: d, roots: [tree.rootBytes]).run()
        tree.remove("raw_data/isfs_20170501_000000.dat")
        let when = Instant(year: 2020, month: 1, day: 1)!
        _ = try Scanner(catalog: catalog, definition: d, roots: [tree.rootBytes]).run(now: when)
        let t = Instant(year: 2017, month: 5, day: 1, hour: 1)!
        #expect(try catalog.covers(CoversQuery(window: .instant(t))).isEmpty)
        var q = CoversQuery(window: .instant(t))
        q.includeGone = true
        let gone = try #require(try catalog.covers(q).first)
        #expect(gone.state == .missing && gone.goneAt == when && gone.goneBy == "scan 2")
    }
}

@Suite struct CoverageTests {
    /// Seconds covered by live files of `stream`, counted one second at a time.
    func bruteForce(_ rc: RandomCatalog, streams: Set<Int>, from: Int64, to: Int64) -> (covered: Int64, gaps: [Span]) {
        let s = RandomCatalog.second
        var covered = Set<Int64>()
        for f in rc.files where f.state == 0 && streams.contains(f.stream) {
            var t = f.start
            while t < f.end { covered.insert(t / s); t += s }
        }
        var gaps: [Span] = []
        var total: Int64 = 0
        var sec = from / s
        while sec < to / s {
            if covered.contains(sec) { total += 1 } else if let last = gaps.last, last.end == sec * s {
                gaps[gaps.count - 1].end = (sec + 1) * s
            } else {
                gaps.append(Span(sec * s, (sec + 1) * s))
            }
            sec += 1
        }
        return (total * s, gaps)
    }

    @Test(arguments: 1...10)
    func coverageAgreesWithBruteForce(seed: Int) throws {
        let rc = try RandomCatalog(seed: UInt64(seed) + 100)
        var rng = SplitMix(seed: UInt64(seed))
        let s = RandomCatalog.second
        for trial in 0..<20 {
            let from = Int64(rng.next() % 1500) * s
            let to = from + Int64(1 + rng.next() % 800) * s
            let minGap = trial % 3 == 0 ? Int64(rng.next() % 20) * s : 0
            for by in CoverageQuery.Grouping.allCases {
                var q = CoverageQuery(from: Instant(microseconds: from), to: Instant(microseconds: to))
                q.by = by
                q.minGap = minGap
                for row in try rc.catalog.coverage(q) {
                    let members = Set(rc.streams.indices.filter { i in
                        rc.streams[i].category == row.category && (row.stream == nil || rc.streams[i].name == row.stream)
                    })
                    let (covered, gaps) = bruteForce(rc, streams: members, from: from, to: to)
                    #expect(row.covered.reduce(0) { $0 + $1.length } == covered, "seed \(seed) trial \(trial) \(row.category)/\(row.stream ?? "*")")
                    #expect(abs(row.fraction - Double(covered) / Double(to - from)) < 1e-9)
                    #expect(row.gaps == gaps.filter { $0.length >= max(1, minGap) }, "seed \(seed) trial \(trial)")
                    for g in row.gone { #expect(row.gaps.contains { $0.start <= g.start && g.end <= $0.end }) }
                }
            }
        }
    }

    @Test func streamsWithNoDataShowAWholeGap() throws {
        let rc = try RandomCatalog(seed: 5)
        var q = CoverageQuery(from: Instant(seconds: 1_000_000), to: Instant(seconds: 1_000_100))
        q.by = .stream
        let rows = try rc.catalog.coverage(q)
        #expect(rows.count == rc.streams.count)
        for r in rows {
            #expect(r.fraction == 0 && r.covered.isEmpty)
            #expect(r.gaps == [Span(1_000_000 * RandomCatalog.second, 1_000_100 * RandomCatalog.second)])
        }
    }
}

@Suite struct ReportTests {
    @Test(arguments: [ReportQuery.Grouping.context, .category, .stream, .month])
    func reportAgreesWithBruteForce(by: ReportQuery.Grouping) throws {
        let rc = try RandomCatalog(seed: 77, files: 500, span: 200 * 86_400)
        var q = ReportQuery()
        q.by = by
        let rows = try rc.catalog.report(q)
        func key(_ f: RandomCatalog.File) -> String {
            let s = rc.streams[f.stream]
            switch by {
            case .context: return "ctx"
            case .category: return s.category
            case .stream: return s.category + "/" + s.name
            case .month:
                let c = Instant(microseconds: f.start).civil
                return String(format: "%04d-%02d", c.year, c.month)
            }
        }
        func key(_ r: ReportRow) -> String {
            switch by {
            case .context: return r.group["context"]!
            case .category: return r.group["category"]!
            case .stream: return r.group["category"]! + "/" + r.group["stream"]!
            case .month: return r.group["month"]!
            }
        }
        let groups = Dictionary(grouping: rc.files, by: key)
        #expect(Set(rows.map(key)) == Set(groups.keys))
        for r in rows {
            let fs = groups[key(r)]!
            let live = fs.filter { $0.state == 0 }
            #expect(r.files == live.count && r.bytes == live.reduce(0) { $0 + $1.size })
            #expect(r.missing == fs.filter { $0.state == 1 }.count && r.deleted == fs.filter { $0.state >= 2 }.count)
            #expect(r.oldest?.microseconds == live.map(\.start).min() && r.newest?.microseconds == live.map(\.end).max())
        }
        #expect(ReportRow.total(rows).files == rc.files.filter { $0.state == 0 }.count)
    }
}

@Suite struct TimelineTests {
    @Test func svgIsValidAndHoldsOneRowPerStream() throws {
        let rc = try RandomCatalog(seed: 9)
        let from = Instant(seconds: 0), to = Instant(seconds: 2000)
        let rows = try rc.catalog.coverage(CoverageQuery(from: from, to: to))
        let svg = TimelineSVG(title: "Coverage <&> test", window: Span(0, 2000 * RandomCatalog.second), rows: rows).render()
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = SVGCollector()
        parser.delegate = collector
        #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
        #expect(collector.root == "svg")
        #expect(collector.rowStreams == rows.map { $0.stream ?? "" })
        #expect(collector.rects["data"] == rows.reduce(0) { $0 + $1.covered.count })
        #expect(collector.rects["gap"] == rows.reduce(0) { $0 + $1.gaps.count })
        #expect(collector.rects["gone"] == rows.reduce(0) { $0 + $1.gone.count })
        #expect(collector.axisLabels >= 5 && collector.axisLabels <= 13)
    }

    /// A month of 30-second exposures every 525 s: thousands of spans narrower than a pixel.
    /// Pooled, each run of them is one rect as opaque as they cover; a wide span stays its own.
    @Test func narrowSpansArePooledWhenAsked() throws {
        let day: Int64 = 86_400_000_000, step: Int64 = 525_000_000
        let window = Span(0, 30 * day)
        var covered = stride(from: Int64(0), to: 20 * day, by: Int(step)).map { Span($0, $0 + 30_000_000) }
        covered.append(Span(21 * day, 25 * day))
        let gaps = Intervals.complement(covered, within: window)
        let row = CoverageRow(context: "c", category: "chip", stream: "camera0", covered: covered, gaps: gaps, gone: [], fraction: 0.2)
        func rects(_ svg: String) -> [String: Int] {
            let parser = XMLParser(data: Data(svg.utf8))
            let collector = SVGCollector()
            parser.delegate = collector
            #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
            return collector.rects
        }
        let exact = TimelineSVG(title: "t", window: window, rows: [row])
        #expect(rects(exact.render()) == ["data": covered.count, "gap": gaps.count])
        var pooled = exact
        pooled.poolsNarrowSpans = true
        let svg = pooled.render()
        // The exposures as one rect and the four-day file as another; their gaps likewise, with the two wide ones.
        #expect(rects(svg) == ["data": 2, "gap": 3], "\(svg)")
        #expect(svg.contains("fill=\"#2f6f9f\" fill-opacity=\"0.34\"><title>data 3292 spans covering 5.7% of 1970-01-01T00:00:00Z – 1970-01-20T23:56:45Z</title>"), "\(svg)")
    }

    @Test func tenthsArePrintfsTenths() {
        var rng = SplitMix(seed: 5)
        var values: [Double] = [0, -0.0, 0.05, 0.15, 0.25, 0.35, -0.05, -0.04, 1.45, 2.675, 999.95, 1e9, -1e12, .infinity, -.infinity, .nan, 0.5, 1199.999]
        for _ in 0..<20_000 {
            let r = Double(rng.next() % 2_000_000_000) / 1_000_000 - 1000
            values += [r, (r * 100).rounded() / 100, (r * 20).rounded() / 20, r * 1e-7]
        }
        for v in values { #expect(TimelineSVG.tenths(v) == String(format: "%.1f", v), "\(v)") }
    }

    @Test(arguments: [(Int64(3600), "05-01 00:"), (Int64(86_400 * 20), "2017-05-0"), (Int64(86_400 * 400), "2017-0"), (Int64(86_400 * 4000), "20")])
    func ticksAreRoundAndFew(length: Int64, prefix: String) {
        let start = Instant(year: 2017, month: 4, day: 30, hour: 23, minute: 59)!.microseconds
        let t = TimelineSVG.ticks(Span(start, start + length * 1_000_000))
        #expect((4...13).contains(t.times.count), "\(t.times.count) ticks for \(length) s")
        #expect(t.times.allSatisfy { $0 > start && $0 < start + length * 1_000_000 })
        #expect(t.label(t.times[0]).hasPrefix(prefix) || t.label(t.times[1]).hasPrefix(prefix), "\(t.label(t.times[0]))")
    }
}

final class SVGCollector: NSObject, XMLParserDelegate {
    var root: String?
    var rowStreams: [String] = []
    var rects: [String: Int] = [:]
    var axisLabels = 0
    private var inAxisLabels = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if root == nil { root = name }
        if name == "g", attributes["class"] == "row" { rowStreams.append(attributes["data-stream"] ?? "") }
        if name == "g" { inAxisLabels = attributes["class"] == "axis-labels" }
        if name == "rect", let c = attributes["class"] { rects[c, default: 0] += 1 }
        if name == "text" && inAxisLabels { axisLabels += 1 }
    }
}
