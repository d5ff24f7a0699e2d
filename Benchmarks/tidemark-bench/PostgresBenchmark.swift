import ArgumentParser
import Foundation
import TidemarkCore
import TidemarkPostgres

/// `tidemark-bench postgres --scan | --queries`: scans of the scan benchmark's tree into
/// PostgreSQL against `find` (PostgresScanBenchmark.swift); the query benchmark's catalog
/// copied into PostgreSQL (`catalog copy`, timed), then covers and coverage of a year timed on it.
struct PostgresBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Time scans into PostgreSQL, catalog copy into it, and the queries on a PostgreSQL catalog.",
        discussion: """
            --scan: a first scan and an unchanged rescan of the scan benchmark's tree (--files, \
            default 1,000,000) into the database tidemark_bench_scan, which the benchmark makes and \
            drops on the server --server names (its user may create databases); without --server \
            $TIDEMARK_TEST_POSTGRES, so `scripts/test-postgres .build/release/tidemark-bench postgres \
            --scan` runs it on a private loopback server (fsync off). Goals: first scan ≤ 2.5× find, \
            unchanged rescan ≤ 1.5× find, in the same run; beside them the server's floor, psql's \
            binary COPY of the first scan's rows alone into an empty table with the same indexes.

            --queries: the query benchmark's synthetic catalog (built once in --dir) is copied into \
            the database --url names (an empty one; one already holding that copy is reused), then \
            covers of an instant (p50/p99), covers of a day, coverage with gaps of one year, report \
            --by month and the whole `tidemark covers` command are timed, --runs times over: the \
            median and the range of the runs are printed. Goals (10,000,000 files): covers p99 ≤ 5 ms, \
            coverage of a year ≤ 250 ms.
            """)

    @Flag(help: "Time scans into PostgreSQL against find.") var scan = false
    @Option(help: "--scan: a postgres:// URL of a server whose user may create databases (default: $TIDEMARK_TEST_POSTGRES).") var server: String?
    @Flag(help: "Run the query measurements.") var queries = false
    @Option(help: "The PostgreSQL database to use (default: $TIDEMARK_BENCH_POSTGRES).") var url: String?
    @Option(help: "Files in the tree (--scan, default 1,000,000) or the catalog (--queries, about; default 10,000,000).") var files: Int?
    @Option(help: "Random queries for each covers measurement.") var samples = 1000
    @Option(help: "Runs of the whole `tidemark covers` command, per run.") var commandRuns = 50
    @Option(help: "Runs of every measurement (the median and range are printed).") var runs = 3
    @OptionGroup var places: BenchPlaces

    func run() throws {
        guard scan || queries else { throw ValidationError("say what to time: --scan, --queries or both") }
        if scan {
            try PostgresScanMeasurement(files: files ?? 1_000_000, places: places, repeats: runs, server: server).run()
        }
        guard queries else { return }
        let files = self.files ?? 10_000_000
        guard let url = url ?? ProcessInfo.processInfo.environment["TIDEMARK_BENCH_POSTGRES"], !url.isEmpty else {
            throw ValidationError("name an empty PostgreSQL database with --url postgres://… (or $TIDEMARK_BENCH_POSTGRES)")
        }
        let path = places.dir + "/query-\(files).sqlite"
        let span = try SyntheticCatalog.ensure(path: path, files: files)
        let lite = try SQLiteCatalog(path: path, create: false, readOnly: true)
        let count = try lite.count()
        let pg = try PostgresCatalog(url: url)
        let held = try pg.find({ var q = FindQuery(); q.states = []; q.limit = 1; return q }()).count
        var copyLine = "catalog copy: reused the copy already in the database"
        if held == 0 {
            let t0 = Date()
            let report = try CatalogCopy.copy(from: lite, to: pg)
            copyLine = String(format: "catalog copy SQLite → PostgreSQL, %@ rows in %d tables: %.1f s (once; COPY, one transaction, counts checked, ANALYZE)",
                              Format.count(report.tables.reduce(0) { $0 + $1.rows }), report.tables.count, Date().timeIntervalSince(t0))
        }
        var rng = SystemRandomNumberGenerator()
        func randomInstant() -> Instant { Instant(microseconds: Int64.random(in: span.start..<span.end, using: &rng)) }
        let yearStart = Instant(microseconds: span.start + (span.end - span.start) / 3)
        let year = CoverageQuery(from: yearStart, to: Instant(microseconds: yearStart.microseconds + 365 * 86_400_000_000))
        var month = ReportQuery()
        month.by = .month

        // Warm the server's caches and the connection once.
        for _ in 0..<(3 * samples) { _ = try pg.covers(CoversQuery(window: .instant(randomInstant()))) }
        var results: [String: [Stats]] = [:]
        for _ in 0..<runs {
            results["instant", default: []].append(try Stats.time(samples) { _ = try pg.covers(CoversQuery(window: .instant(randomInstant()))) })
            results["day", default: []].append(try Stats.time(samples) {
                let t = randomInstant()
                _ = try pg.covers(CoversQuery(window: TimeWindow(begin: t, end: Instant(microseconds: t.microseconds + 86_400_000_000))))
            })
            results["coverage", default: []].append(try Stats.time(5) { _ = try pg.coverage(year) })
            results["report", default: []].append(try Stats.time(3) { _ = try pg.report(month) })
            results["command", default: []].append(try Stats.time(commandRuns) {
                let m = try Measure.run([places.binary, "covers", randomInstant().iso8601, "--db", url, "--json"])
                if m.status != 0 { throw BenchError("tidemark covers \(m.outcome)") }
            })
        }
        /// The median of the runs' values, with their range.
        func line(_ key: String, _ value: (Stats) -> Double) -> String {
            let v = (results[key] ?? []).map(value).sorted()
            return String(format: "%8.2f ms (%.2f–%.2f)", v[v.count / 2] * 1000, v.first! * 1000, v.last! * 1000)
        }
        print("""
            tidemark-bench postgres --queries: \(Format.count(count)) files, \(Format.count(try lite.streamCount())) streams, \(runs) runs (median, range)
            \(copyLine)
            covers INSTANT, in-process, warm (\(samples)×)   p50 \(line("instant", \.p50))   p99 \(line("instant", \.p99))   goal p99 ≤ 5 ms
            covers one day, in-process (\(samples)×)         p50 \(line("day", \.p50))   p99 \(line("day", \.p99))
            coverage + gaps, one year (5×)                   p50 \(line("coverage", \.p50))   max \(line("coverage", \.max))   goal ≤ 250 ms
            report --by month, in-process (3×)               p50 \(line("report", \.p50))
            tidemark covers INSTANT --json, whole command (\(commandRuns)×)  p50 \(line("command", \.p50))   p99 \(line("command", \.p99))
            """)
    }
}
