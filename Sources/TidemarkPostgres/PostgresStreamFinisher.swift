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
    /// (`StreamFinisher.derive`): each stream read through a cursor in start order,
    /// `rowsPerFetch` rows at a time, and the results of many streams written together in a
    /// few array statements. The streams' rows are locked first, in id order (two writers
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
        try execute("SELECT id FROM streams WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE")
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
            for stream in ids { try add(try derive(stream, rowsPerFetch: rowsPerFetch)) }
        } else {
            try StreamFinisher.deriveInParallel(
                ids, readers: readers.count,
                open: { i in
                    try readers[i].execute("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY")
                    return readers[i]
                },
                derive: { reader, stream in try reader.derive(stream, rowsPerFetch: rowsPerFetch) },
                close: { (reader: PostgresSession) in _ = try? reader.execute("ROLLBACK") },
                consume: add)
        }
        try write(pending)
    }

    /// One stream's derivation, its rows read on this session (in its current transaction).
    private func derive(_ stream: Int64, rowsPerFetch: Int) throws -> StreamFinisher.Derived {
        // A cursor: a stream's rows never sit in memory all at once.
        try StreamFinisher.derive(stream: stream) { (body: (StreamFinisher.FileRow) -> Void) throws in
            try cursor("""
                SELECT id, start, coalesce("end", 0), source::int8, state::int8, size, CASE WHEN error IS NULL THEN 0 ELSE 1 END::int8
                FROM files WHERE stream_id = \(stream) ORDER BY start NULLS FIRST, id
                """, batch: rowsPerFetch) { r in
                body(StreamFinisher.FileRow(id: try r.int(0), start: try r.optionalInt(1), end: try r.int(2), source: try r.int(3),
                                            state: try r.int(4), size: try r.int(5), hasError: try r.int(6) != 0))
                return true
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
