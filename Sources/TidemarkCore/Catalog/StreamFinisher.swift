import GRDB

/// Recomputes what a stream's files imply together, after a scan or a deletion changed
/// some of them: name coverage clipped to the next file's start, merged coverage runs
/// (live and gone apart), and the stream's longest file, which bounds overlap queries.
///
/// One ordered pass per stream, in the caller's write transaction.
struct StreamFinisher {
    let db: Database

    private struct Row {
        var id: Int64
        var start: Int64
        var end: Int64
        var nameTimed: Bool
        var live: Bool
        var size: Int64
    }

    func finish(streams: some Sequence<Int64>) throws {
        let read = FastStatement(try db.cachedStatement(sql: """
            SELECT id, start, "end", source, state, size FROM files
            WHERE stream_id = ?1 AND start IS NOT NULL ORDER BY start, id
            """))
        let clip = FastStatement(try db.cachedStatement(sql: "UPDATE files SET \"end\" = ?2 WHERE id = ?1"))
        let clearRuns = FastStatement(try db.cachedStatement(sql: "DELETE FROM coverage_runs WHERE stream_id = ?1"))
        let addRun = FastStatement(try db.cachedStatement(sql: """
            INSERT INTO coverage_runs (stream_id, live, start, "end", files, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """))
        let bound = FastStatement(try db.cachedStatement(sql: "UPDATE streams SET max_duration = ?2 WHERE id = ?1"))
        var rows: [Row] = []
        for stream in streams {
            rows.removeAll(keepingCapacity: true)
            read.bind(1, stream)
            try read.forEachRow { r in
                rows.append(Row(id: r.int64(0), start: r.int64(1), end: r.int64(2), nameTimed: r.int64(3) == Int64(TimeSource.name.code),
                                live: r.int64(4) == Int64(FileState.live.rawValue), size: r.int64(5)))
            }
            // A file named by time ends where the next one (of a later start) begins:
            // its writer closed it then. Gone files count: their data ended there too.
            var nextStart = Int64.max
            var i = rows.count - 1
            while i >= 0 {
                var j = i
                while j > 0 && rows[j - 1].start == rows[i].start { j -= 1 }
                for k in j...i where rows[k].nameTimed && nextStart < rows[k].end {
                    rows[k].end = nextStart
                    clip.bind(1, rows[k].id)
                    clip.bind(2, nextStart)
                    try clip.execute()
                }
                nextStart = rows[i].start
                i = j - 1
            }
            clearRuns.bind(1, stream)
            try clearRuns.execute()
            var longest: Int64 = 0
            for live in [true, false] {
                var run: (start: Int64, end: Int64, files: Int64, bytes: Int64)?
                func flush() throws {
                    guard let r = run else { return }
                    addRun.bind(1, stream); addRun.bind(2, live ? 1 : 0); addRun.bind(3, r.start); addRun.bind(4, r.end)
                    addRun.bind(5, r.files); addRun.bind(6, r.bytes)
                    try addRun.execute()
                }
                for row in rows where row.live == live {
                    longest = max(longest, row.end - row.start)
                    guard row.end > row.start else { continue }  // instants cover no time
                    if var r = run, row.start <= r.end {
                        r.end = max(r.end, row.end); r.files += 1; r.bytes += row.size
                        run = r
                    } else {
                        try flush()
                        run = (row.start, row.end, 1, row.size)
                    }
                }
                try flush()
            }
            bound.bind(1, stream)
            bound.bind(2, longest)
            try bound.execute()
        }
    }
}
