import Foundation
import PostgresNIO
import TidemarkCore

extension PostgresCatalog {
    /// Finishes `streams` on the catalog's own session (see PostgresSession.finishStreams).
    func finishStreams(_ streams: some Sequence<Int64>) throws(CatalogError) {
        try session.finishStreams(streams, rowsPerFetch: rowsPerFetch)
    }
}

extension PostgresSession {
    /// Recomputes what streams' files imply together (clipped name coverage, coverage runs,
    /// monthly rollups, the longest file) after some of their files changed, inside the
    /// caller's write transaction, by the SQLite catalog's derivation
    /// (`StreamFinisher.derive`): each stream's rows read in start order as a few arrays (see
    /// `StreamRows`), and the results of many streams written together in a few array
    /// statements. The streams' rows are locked first, in id order (two writers
    /// never deadlock on them), so one writer at a time rewrites a stream. The journal and
    /// the scan both finish through it.
    ///
    /// `readers`: other sessions that read the streams meanwhile, each in its own read-only
    /// transaction (the reading, a round trip per stream and the rows' decoding, is most of
    /// the work). They see only committed rows: the caller's transaction must not have
    /// changed the streams' files. Without them, this session reads.
    func finishStreams(_ streams: some Sequence<Int64>, rowsPerFetch: Int, readers: [PostgresSession] = []) throws(CatalogError) {
        do { try finish(Array(Set(streams)).sorted(), rowsPerFetch: rowsPerFetch, readers: readers) } catch {
            throw error as? CatalogError ?? PostgresErrorMapping.catalogError(error, url: url, connecting: false)
        }
    }

    /// Derived rows held before they are written (a batch of streams' results).
    private static let writeWeight = 50_000

    private func finish(_ ids: [Int64], rowsPerFetch: Int, readers: [PostgresSession]) throws {
        guard !ids.isEmpty else { return }
        // Locked, and their dated files counted and spanned: that picks how each is read.
        var spans: [Int64: Span] = [:]
        for row in try rows("""
            SELECT s.id, c.n, coalesce(c.lo, 0), coalesce(c.hi, 0)
            FROM streams s, LATERAL (SELECT count(start) AS n, min(start) AS lo, max(start) AS hi FROM files f WHERE f.stream_id = s.id) AS c
            WHERE s.id = ANY(\(ids)) ORDER BY s.id FOR UPDATE OF s
            """) {
            var cells = row.makeIterator()
            spans[cells.next()!.int64] = Span(count: Int(cells.next()!.int64), first: cells.next()!.int64, last: cells.next()!.int64)
        }
        let chunk = StreamRows.chunk(rowsPerFetch: rowsPerFetch)
        var pending: [StreamFinisher.Derived] = [], weight = 0
        func add(_ d: StreamFinisher.Derived) throws {
            pending.append(d)
            weight += d.weight
            if weight >= Self.writeWeight {
                try write(pending)
                pending.removeAll(keepingCapacity: true)
                weight = 0
            }
        }
        if readers.isEmpty || ids.count == 1 {
            for stream in ids { try add(try derive(stream, spans[stream] ?? Span(), chunk: chunk)) }
        } else {
            // The largest first, so that none starts last and is read alone.
            try StreamFinisher.deriveInParallel(
                ids.sorted { (spans[$0]?.count ?? 0, $1) > (spans[$1]?.count ?? 0, $0) }, readers: readers.count,
                open: { i in
                    // One snapshot for every page of a stream.
                    try readers[i].execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    return readers[i]
                },
                derive: { [spans] reader, stream in try reader.derive(stream, spans[stream] ?? Span(), chunk: chunk) },
                close: { (reader: PostgresSession) in _ = try? reader.execute("ROLLBACK") },
                consume: add)
        }
        try write(pending)
    }

    /// A stream's dated files when the finisher locked it: how many, and their first and last start.
    struct Span: Sendable {
        var count = 0, first: Int64 = 0, last: Int64 = 0
    }

    /// One stream's derivation, its rows read on this session, in its current transaction, in
    /// pages of about `chunk` rows (see `StreamRows`).
    private func derive(_ stream: Int64, _ span: Span, chunk: Int) throws -> StreamFinisher.Derived {
        let undated = try rows(PostgresQuery(unsafeSQL: StreamRows.undated(stream))).map { row in
            var c = row.makeIterator()
            return StreamFinisher.UndatedFiles(state: c.next()!.int64, files: c.next()!.int64, bytes: c.next()!.int64, errors: c.next()!.int64)
        }
        let cuts = try StreamRows.cuts(stream: stream, first: span.first, last: span.last, count: span.count, chunk: chunk) { sql in
            try rows(PostgresQuery(unsafeSQL: sql)).map { row in
                var c = row.makeIterator()
                return (c.next()!.int64, Int(c.next()!.int64))
            }
        }
        return try StreamFinisher.derive(stream: stream, undated: undated) { (body: (StreamFinisher.FileRow) -> Void) throws in
            var order = StreamRows.Order()
            for page in StreamRows.pages(cuts: cuts) {
                for row in try rows(PostgresQuery(unsafeSQL: StreamRows.dated(stream, from: page.from, through: page.through))) {
                    try StreamRows.rows(row.makeRandomAccess(), url: url, stream: stream, order: &order).forEach(body)
                }
            }
        }
    }

    /// Writes streams' derived rows: a handful of statements, however many streams.
    private func write(_ batch: [StreamFinisher.Derived]) throws {
        guard !batch.isEmpty else { return }
        let streams = batch.map(\.stream)
        let clips = batch.flatMap(\.clips)
        if !clips.isEmpty {
            try execute("""
                UPDATE files f SET "end" = c.e FROM unnest(\(clips.map(\.id)), \(clips.map(\.end))) AS c(id, e) WHERE f.id = c.id
                """)
        }
        try execute("DELETE FROM coverage_runs WHERE stream_id = ANY(\(streams))")
        let runs = batch.flatMap { d in d.runs.map { (stream: d.stream, run: $0) } }
        if !runs.isEmpty {
            try execute("""
                INSERT INTO coverage_runs (stream_id, live, start, "end", files, bytes)
                SELECT r.s, r.live, r.b, r.e, r.f, r.n
                FROM unnest(\(runs.map(\.stream)), \(runs.map { Int64($0.run.live ? 1 : 0) }), \(runs.map(\.run.start)),
                            \(runs.map(\.run.end)), \(runs.map(\.run.files)), \(runs.map(\.run.bytes))) AS r(s, live, b, e, f, n)
                """)
        }
        try execute("""
            UPDATE streams s SET max_duration = v.d FROM unnest(\(streams), \(batch.map(\.longest))) AS v(id, d) WHERE s.id = v.id
            """)
        try execute("DELETE FROM stream_months WHERE stream_id = ANY(\(streams))")
        let months = batch.flatMap { d in d.months.map { (stream: d.stream, key: $0.key, month: $0.month) } }
        if !months.isEmpty {
            let m = months.map(\.month)
            // Arrays cannot carry NULLs here: a flag says which oldest/newest are absent.
            try execute("""
                INSERT INTO stream_months (stream_id, month, files, bytes, oldest, newest, missing, deleted, errors)
                SELECT r.s, r.k, r.f, r.b, CASE WHEN r.ho THEN r.o END, CASE WHEN r.hn THEN r.n END, r.mi, r.de, r.er
                FROM unnest(\(months.map(\.stream)), \(months.map(\.key)), \(m.map(\.files)), \(m.map(\.bytes)), \(m.map { $0.oldest != nil }),
                            \(m.map { $0.oldest ?? 0 }), \(m.map { $0.newest != nil }), \(m.map { $0.newest ?? 0 }),
                            \(m.map(\.missing)), \(m.map(\.deleted)), \(m.map(\.errors))) AS r(s, k, f, b, ho, o, hn, n, mi, de, er)
                """)
        }
    }
}
