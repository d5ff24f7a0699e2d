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
    /// `rowsPerFetch` rows at a time, written in a few array statements. The streams' rows
    /// are locked first, in id order (two writers never deadlock on them), so one writer at
    /// a time rewrites a stream. The journal and the scan both finish through it.
    func finishStreams(_ streams: some Sequence<Int64>, rowsPerFetch: Int) throws(CatalogError) {
        do { try finish(Array(Set(streams)).sorted(), rowsPerFetch: rowsPerFetch) } catch {
            throw error as? CatalogError ?? PostgresErrorMapping.catalogError(error, url: url, connecting: false)
        }
    }

    private func finish(_ ids: [Int64], rowsPerFetch: Int) throws {
        guard !ids.isEmpty else { return }
        try execute("SELECT id FROM streams WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE")
        for stream in ids {
            // A cursor: a stream's rows never sit in memory all at once.
            let derived = try StreamFinisher.derive(stream: stream) { (body: (StreamFinisher.FileRow) -> Void) throws in
                try cursor("""
                    SELECT id, start, coalesce("end", 0), source::int8, state::int8, size, CASE WHEN error IS NULL THEN 0 ELSE 1 END::int8
                    FROM files WHERE stream_id = \(stream) ORDER BY start NULLS FIRST, id
                    """, batch: rowsPerFetch) { r in
                    body(StreamFinisher.FileRow(id: try r.int(0), start: try r.optionalInt(1), end: try r.int(2), source: try r.int(3),
                                                state: try r.int(4), size: try r.int(5), hasError: try r.int(6) != 0))
                    return true
                }
            }
            try write(derived)
        }
    }

    private func write(_ d: StreamFinisher.Derived) throws {
        if !d.clips.isEmpty {
            try execute("""
                UPDATE files f SET "end" = c.e FROM unnest(\(d.clips.map(\.id)), \(d.clips.map(\.end))) AS c(id, e) WHERE f.id = c.id
                """)
        }
        try execute("DELETE FROM coverage_runs WHERE stream_id = \(d.stream)")
        if !d.runs.isEmpty {
            try execute("""
                INSERT INTO coverage_runs (stream_id, live, start, "end", files, bytes)
                SELECT \(d.stream), r.live, r.s, r.e, r.f, r.b
                FROM unnest(\(d.runs.map { Int64($0.live ? 1 : 0) }), \(d.runs.map(\.start)), \(d.runs.map(\.end)),
                            \(d.runs.map(\.files)), \(d.runs.map(\.bytes))) AS r(live, s, e, f, b)
                """)
        }
        try execute("UPDATE streams SET max_duration = \(d.longest) WHERE id = \(d.stream)")
        try execute("DELETE FROM stream_months WHERE stream_id = \(d.stream)")
        if !d.months.isEmpty {
            let m = d.months.map(\.month)
            // Arrays cannot carry NULLs here: a flag says which oldest/newest are absent.
            try execute("""
                INSERT INTO stream_months (stream_id, month, files, bytes, oldest, newest, missing, deleted, errors)
                SELECT \(d.stream), r.k, r.f, r.b, CASE WHEN r.ho THEN r.o END, CASE WHEN r.hn THEN r.n END, r.mi, r.de, r.er
                FROM unnest(\(d.months.map(\.key)), \(m.map(\.files)), \(m.map(\.bytes)), \(m.map { $0.oldest != nil }),
                            \(m.map { $0.oldest ?? 0 }), \(m.map { $0.newest != nil }), \(m.map { $0.newest ?? 0 }),
                            \(m.map(\.missing)), \(m.map(\.deleted)), \(m.map(\.errors))) AS r(k, f, b, ho, o, hn, n, mi, de, er)
                """)
        }
    }
}
