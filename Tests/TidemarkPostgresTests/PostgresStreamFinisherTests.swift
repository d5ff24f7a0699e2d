import Foundation
import Testing
import TestSupport
@testable import TidemarkCore
@testable import TidemarkPostgres

/// PostgreSQL's stream finisher reads a stream whole, or in pages of start ranges a histogram
/// cut, with the files without a start counted by the server: whichever way, it must derive
/// what SQLite's finisher derives from the same rows — clipped ends, coverage runs, monthly
/// rollups, the longest file.
@Suite struct PostgresStreamFinisherTests {
    /// Streams: a small one (whole), a large one with starts spread (pages), one with hundreds
    /// of files at a single start and a few around it (a page that cannot be cut), one with
    /// most files undated, and one with no files.
    static func rows(seed: UInt64) -> String {
        var rng = SplitMix(seed: seed)
        var values: [String] = []
        let hour: Int64 = 3_600_000_000
        func add(stream: Int, start: Int64?, length: Int64) {
            let i = values.count
            let state = rng.next() % 6 == 0 ? 1 + rng.next() % 2 : 0
            let source = rng.next() % 3 == 0 ? TimeSource.name.code : TimeSource.fits.code
            let error = rng.next() % 17 == 0 ? "'bad header'" : "NULL"
            let times = start.map { "\($0), \($0 + length)" } ?? "NULL, NULL"
            values.append("(1, X'\(String(format: "%06x", i))', \(rng.next() % 5000), 0, \(i), 1, \(stream), \(times), \(source), \(state), \(error))")
        }
        for _ in 0..<40 { add(stream: 1, start: Int64(rng.next() % 500) * hour, length: 4 * hour) }
        for _ in 0..<1_500 {
            let start: Int64? = rng.next() % 10 == 0 ? nil : Int64(rng.next() % 20_000) * hour / 4
            add(stream: 2, start: start, length: Int64(rng.next() % 9) * hour)
        }
        for _ in 0..<300 { add(stream: 3, start: 1_000 * hour, length: hour) }
        for _ in 0..<30 { add(stream: 3, start: Int64(rng.next() % 2_000) * hour, length: 2 * hour) }
        for _ in 0..<400 { add(stream: 4, start: rng.next() % 8 == 0 ? Int64(rng.next() % 100) * hour : nil, length: hour) }
        return """
            INSERT INTO files (dir_id, name, size, mtime, inode, device, stream_id, start, "end", source, state, error) VALUES
            \(values.joined(separator: ",\n"))
            """
    }

    /// What a finisher wrote, as text both stores print alike.
    static let derivedSQL = [
        #"SELECT id, "end" FROM files ORDER BY id"#,
        #"SELECT stream_id, live, start, "end", files, bytes FROM coverage_runs ORDER BY stream_id, live, start"#,
        "SELECT stream_id, month, files, bytes, oldest, newest, missing, deleted, errors FROM stream_months ORDER BY stream_id, month",
        "SELECT id, max_duration FROM streams ORDER BY id",
    ]

    @Test(arguments: [(UInt64(1), 0), (2, 0), (3, 3)])
    func pagedReadingDerivesWhatSQLiteDerives(seed: UInt64, readers: Int) throws {
        guard let url = try freshPostgresDatabase() else { return }
        let sqlite = try temporaryCatalog()
        try sqlite.pool.write { db in try db.execute(sql: """
            INSERT INTO contexts (id, name) VALUES (1, 'ctx'); INSERT INTO roots (id, context_id, path) VALUES (1, 1, X'2F64');
            INSERT INTO dirs (id, root_id, path) VALUES (1, 1, X'');
            INSERT INTO streams (id, context_id, category, name) VALUES (1, 1, 'raw', 's1'), (2, 1, 'raw', 's2'), (3, 1, 'raw', 's3'),
                (4, 1, 'raw', 's4'), (5, 1, 'raw', 's5');
            \(Self.rows(seed: seed))
            """) }
        try copyCatalog(from: sqlite.path, to: url)
        let streams: [Int64] = [1, 2, 3, 4, 5]
        try sqlite.pool.write { db in try StreamFinisher(db: db).finish(streams: streams) }

        let postgres = try PostgresCatalog(url: url)
        defer { postgres.close() }
        let sessions = try (0..<readers).map { _ in try postgres.newSession() }
        defer { sessions.forEach { $0.close() } }
        // Chunks of 50 rows: stream 2 takes pages, stream 3's single start a page of 300.
        try postgres.session.transaction { () throws(CatalogError) in
            try postgres.session.finishStreams(streams, rowsPerFetch: 5, readers: sessions)
        }
        for query in Self.derivedSQL {
            let want = try TestStore.sqlite.sql(sqlite.path, query), got = try TestStore.postgres.sql(url, query)
            #expect(!want.isEmpty)
            #expect(got == want, "\(query)")
        }
    }

    @Test func cutsKeepEveryPageWithinTwoChunksUnlessOneStartHoldsMore() throws {
        // A histogram of 1,000 files: 100 at start 0, the rest spread from 1 to 9,000.
        var starts = [Int64](repeating: 0, count: 100)
        var rng = SplitMix(seed: 9)
        for _ in 0..<900 { starts.append(1 + Int64(rng.next() % 9_000)) }
        var queries = 0
        let cuts = try StreamRows.cuts(stream: 1, first: 0, last: 9_000, count: starts.count, chunk: 20) { sql in
            queries += 1
            // Plays the server: parses the range and width the query names.
            let numbers = sql.split(whereSeparator: { !"-0123456789".contains($0) }).compactMap { Int64($0) }
            let first = numbers[0], width = numbers[1], last = numbers[4]
            var buckets: [Int64: Int] = [:]
            for s in starts where s >= first && s <= last { buckets[(s - first) / width, default: 0] += 1 }
            return buckets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        let pages = StreamRows.pages(cuts: cuts)
        #expect(pages.first?.from == Int64.min && pages.last?.through == Int64.max)
        #expect(zip(pages, pages.dropFirst()).allSatisfy { $0.through + 1 == $1.from })
        let sizes = pages.map { p in starts.filter { $0 >= p.from && $0 <= p.through }.count }
        #expect(sizes.reduce(0, +) == starts.count)
        #expect(sizes.allSatisfy { $0 <= 40 || $0 == 100 }, "\(sizes)")
        #expect(sizes.contains(100) && queries > 1)
    }
}
