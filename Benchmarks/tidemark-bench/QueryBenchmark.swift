import ArgumentParser
import Foundation
import GRDB
import TidemarkCore

/// `tidemark-bench query`: covers, coverage and report on a 10,000,000-file catalog.
struct QueryBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Time covers, coverage with gaps and report --by month on a large synthetic catalog.",
        discussion: """
            The catalog (50 streams: 20 of 5-minute files over 3 years, 25 of 4-hour files over \
            10 years, 5 cameras of 30-second FITS exposures, with gaps and tombstones) is built \
            once in --dir and reused.
            """)

    @Option(help: "Files in the catalog (about).") var files = 10_000_000
    @OptionGroup var places: BenchPlaces
    @Option(help: "Random queries for each covers measurement.") var queries = 1000
    @Option(help: "Runs of the whole `tidemark covers` command.") var commandRuns = 200

    func run() throws {
        let dir = places.dir
        let path = dir + "/query-\(files).sqlite"
        let span = try SyntheticCatalog.ensure(path: path, files: files)
        let catalog = try SQLiteCatalog(path: path, create: false, readOnly: true)  // as the query commands open it
        let bin = places.binary
        let count = try catalog.count()
        var rng = SystemRandomNumberGenerator()
        func randomInstant() -> Instant { Instant(microseconds: Int64.random(in: span.start..<span.end, using: &rng)) }

        // The first queries after opening fault in index pages; then they are warm.
        var instantRows = 0, dayRows = 0
        let opened = try Stats.time(queries) { _ = try catalog.covers(CoversQuery(window: .instant(randomInstant()))) }
        for _ in 0..<(3 * queries) { _ = try catalog.covers(CoversQuery(window: .instant(randomInstant()))) }
        let instant = try Stats.time(queries) { instantRows += try catalog.covers(CoversQuery(window: .instant(randomInstant()))).count }
        let day = try Stats.time(queries) {
            let t = randomInstant()
            dayRows += try catalog.covers(CoversQuery(window: TimeWindow(begin: t, end: Instant(microseconds: t.microseconds + 86_400_000_000)))).count
        }
        let command = try Stats.time(commandRuns) {
            let m = try Measure.run([bin, "covers", randomInstant().iso8601, "--db", path, "--json"])
            if m.status != 0 { throw BenchError("tidemark covers \(m.outcome)") }
        }
        let yearStart = Instant(microseconds: span.start + (span.end - span.start) / 3)
        let yearEnd = Instant(microseconds: yearStart.microseconds + 365 * 86_400_000_000)
        var coverageRows = 0
        let coverage = try Stats.time(5) { coverageRows = try catalog.coverage(CoverageQuery(from: yearStart, to: yearEnd)).count }
        var months = 0
        let report = try Stats.time(3) {
            var q = ReportQuery()
            q.by = .month
            months = try catalog.report(q).count
        }
        let reportCommand = try Measure.median(3, [bin, "report", "--by", "month", "--db", path])

        print("""
            tidemark-bench query: \(Format.count(count)) files, \(Format.count(try catalog.streamCount())) streams, catalog \(Format.mb(Measure.fileSize(path)))
            measurement                                         p50        p99      goal
            covers INSTANT, in-process, first \(queries) after opening  \(Stats.ms(opened.p50))  \(Stats.ms(opened.p99))
            covers INSTANT, in-process, warm (\(queries)×, \(String(format: "%.1f", Double(instantRows) / Double(queries))) files each)  \(Stats.ms(instant.p50))  \(Stats.ms(instant.p99))   p99 ≤ 1 ms
            covers one day, in-process (\(queries)×, \(String(format: "%.0f", Double(dayRows) / Double(queries))) files each)  \(Stats.ms(day.p50))  \(Stats.ms(day.p99))
            tidemark covers INSTANT --json, whole command (\(commandRuns)×)  \(Stats.ms(command.p50))  \(Stats.ms(command.p99))   ≤ 50 ms
            coverage + gaps, one year of \(coverageRows) streams (5×)          \(Stats.ms(coverage.p50))  \(Stats.ms(coverage.max))   ≤ 250 ms
            report --by month, in-process (\(months) months, 3×)          \(Stats.ms(report.p50))  \(Stats.ms(report.max))   ≤ 2 s
            tidemark report --by month, whole command (median of 3) \(Stats.ms(reportCommand.seconds))
            """)
    }
}

/// Latency percentiles.
struct Stats {
    var p50: Double, p99: Double, max: Double

    static func time(_ n: Int, _ body: () throws -> Void) throws -> Stats {
        var samples: [Double] = []
        for _ in 0..<n {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        samples.sort()
        func pct(_ p: Double) -> Double { samples[Swift.min(samples.count - 1, Int((Double(samples.count) * p).rounded(.up)) - 1)] }
        return Stats(p50: pct(0.5), p99: pct(0.99), max: samples.last ?? 0)
    }

    static func ms(_ s: Double) -> String { String(format: "%8.2f ms", s * 1000) }
}

/// The synthetic catalog: rows written straight into the catalog's tables by SQL.
enum SyntheticCatalog {
    static func ensure(path: String, files: Int) throws -> Span {
        let start = Instant(year: 2014, month: 1, day: 1)!.microseconds
        let marker = path + ".complete"
        let catalog = try SQLiteCatalog(path: path)
        if FileManager.default.fileExists(atPath: marker) {
            return Span(start, start + 10 * 365 * 86_400_000_000)
        }
        FileHandle.standardError.write(Data("building a \(files)-file catalog in \(path) (once) …\n".utf8))
        let queue = try DatabaseQueue(path: path)
        let scale = Double(files) / 10_000_000
        let fiveMin = Int(315_360 * scale), fourHour = Int(21_900 * scale), exposures = Int(600_000 * scale)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO contexts (id, name) VALUES (1, 'bench/query'); INSERT INTO roots (id, context_id, path) VALUES (1, 1, CAST('/data/archive' AS BLOB))")
            var stream = 0
            func add(category: String, name: String, count: Int, step: Int64, length: Int64, source: Int) throws {
                stream += 1
                try db.execute(sql: "INSERT INTO streams (id, context_id, category, name) VALUES (?, 1, ?, ?)", arguments: [stream, category, name])
                try db.execute(sql: "INSERT INTO dirs (id, root_id, path) VALUES (?, 1, CAST(? AS BLOB))", arguments: [stream, "\(category)/\(name)"])
                // Deterministic gaps (~0.3 % of files never written) and tombstones (~1 % gone).
                try db.execute(sql: """
                    WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ?1 - 1)
                    INSERT INTO files (dir_id, name, size, mtime, inode, device, stream_id, start, "end", source, state, gone_at)
                    SELECT ?2, CAST(printf('%s_%08d.dat', ?3, i) AS BLOB), 1000 + (i * 7919) % 100000, 0, ?2 * 100000000 + i, 2049, ?2,
                           ?4 + i * ?5, ?4 + i * ?5 + ?6, ?7,
                           CASE WHEN (i * 2654435761) % 1000 < 10 THEN 2 ELSE 0 END,
                           CASE WHEN (i * 2654435761) % 1000 < 10 THEN ?4 + (i + 1000) * ?5 END
                    FROM c WHERE (i * 40503 + ?2) % 1000 >= 3
                    """, arguments: [count, stream, name, start, step, length, source])
            }
            for k in 0..<20 { try add(category: "netcdf/5min", name: "tower\(k)", count: fiveMin, step: 300_000_000, length: 300_000_000, source: 3) }
            for k in 0..<25 { try add(category: "raw/nidas", name: "dsm\(k)", count: fourHour, step: 14_400_000_000, length: 14_400_000_000, source: 1) }
            for k in 0..<5 { try add(category: "chip", name: "camera\(k)", count: exposures, step: 525_000_000, length: 30_000_000, source: 2) }
        }
        try catalog.rebuildDerived()
        try Data().write(to: URL(fileURLWithPath: marker))
        return Span(start, start + 10 * 365 * 86_400_000_000)
    }
}
