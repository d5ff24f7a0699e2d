import GRDB

/// Recomputes what a stream's files imply together, after a scan or a deletion changed
/// some of them: name coverage clipped to the next file's start, merged coverage runs
/// (live and gone apart), monthly rollups for reports, and the stream's longest file,
/// which bounds overlap queries.
///
/// One ordered pass per stream, in the caller's write transaction.
struct StreamFinisher {
    let db: Database

    private struct Row {
        var id: Int64
        var start: Int64
        var end: Int64
        var nameTimed: Bool
        var state: Int64
        var size: Int64
        var hasError: Bool
        var live: Bool { state == 0 }
    }

    /// One month of one stream, as `stream_months` keeps it.
    private struct Month {
        var files: Int64 = 0, bytes: Int64 = 0, oldest: Int64?, newest: Int64?
        var missing: Int64 = 0, deleted: Int64 = 0, errors: Int64 = 0
        var isEmpty: Bool { files + missing + deleted == 0 }
    }

    func finish(streams: some Sequence<Int64>) throws {
        let read = FastStatement(try db.cachedStatement(sql: """
            SELECT id, start, "end", source, state, size, error IS NOT NULL FROM files
            WHERE stream_id = ?1 ORDER BY start, id
            """))
        let clip = FastStatement(try db.cachedStatement(sql: "UPDATE files SET \"end\" = ?2 WHERE id = ?1"))
        let clearRuns = FastStatement(try db.cachedStatement(sql: "DELETE FROM coverage_runs WHERE stream_id = ?1"))
        let addRun = FastStatement(try db.cachedStatement(sql: """
            INSERT INTO coverage_runs (stream_id, live, start, "end", files, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """))
        let bound = FastStatement(try db.cachedStatement(sql: "UPDATE streams SET max_duration = ?2 WHERE id = ?1"))
        let clearMonths = FastStatement(try db.cachedStatement(sql: "DELETE FROM stream_months WHERE stream_id = ?1"))
        let addMonth = FastStatement(try db.cachedStatement(sql: """
            INSERT INTO stream_months (stream_id, month, files, bytes, oldest, newest, missing, deleted, errors)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """))
        var rows: [Row] = []
        for stream in streams {
            rows.removeAll(keepingCapacity: true)
            var undated = Month()
            read.bind(1, stream)
            try read.forEachRow { r in
                guard !r.isNull(1) else {  // no coverage: counted in reports, never drawn
                    Self.count(&undated, state: r.int64(4), size: r.int64(5), start: nil, end: nil, error: r.int64(6) != 0)
                    return
                }
                rows.append(Row(id: r.int64(0), start: r.int64(1), end: r.int64(2), nameTimed: r.int64(3) == Int64(TimeSource.name.code),
                                state: r.int64(4), size: r.int64(5), hasError: r.int64(6) != 0))
            }
            try clipNames(&rows, clip)
            clearRuns.bind(1, stream)
            try clearRuns.execute()
            let longest = try writeRuns(rows, stream: stream, addRun)
            bound.bind(1, stream)
            bound.bind(2, longest)
            try bound.execute()
            clearMonths.bind(1, stream)
            try clearMonths.execute()
            try writeMonths(rows, undated: undated, stream: stream, addMonth)
        }
    }

    /// A file named by time ends where the next one (of a later start) begins: its writer
    /// closed it then. Gone files count too: their data ended there as well.
    private func clipNames(_ rows: inout [Row], _ clip: FastStatement) throws {
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
    }

    /// Merged intervals of live files and of gone files; returns the longest file.
    private func writeRuns(_ rows: [Row], stream: Int64, _ addRun: FastStatement) throws -> Int64 {
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
        return longest
    }

    /// Rollups by the UTC month each file's coverage starts in (-1 for none).
    private func writeMonths(_ rows: [Row], undated: Month, stream: Int64, _ addMonth: FastStatement) throws {
        var months: [(key: Int64, month: Month)] = undated.isEmpty ? [] : [(Int64(-1), undated)]
        var monthEnd = Int64.min
        for row in rows {
            if row.start >= monthEnd || months.isEmpty || months.last!.key < 0 {
                let c = Instant(microseconds: row.start).civil
                let key = Int64(c.year * 12 + c.month - 1)
                if months.last?.key != key { months.append((key, Month())) }
                let (y, m) = c.month == 12 ? (c.year + 1, 1) : (c.year, c.month + 1)
                monthEnd = Instant(year: y, month: m, day: 1)?.microseconds ?? Int64.max
            }
            Self.count(&months[months.count - 1].month, state: row.state, size: row.size, start: row.start, end: row.end, error: row.hasError)
        }
        for (key, m) in months {
            addMonth.bind(1, stream); addMonth.bind(2, key); addMonth.bind(3, m.files); addMonth.bind(4, m.bytes)
            addMonth.bind(5, m.oldest); addMonth.bind(6, m.newest); addMonth.bind(7, m.missing); addMonth.bind(8, m.deleted)
            addMonth.bind(9, m.errors)
            try addMonth.execute()
        }
    }

    private static func count(_ m: inout Month, state: Int64, size: Int64, start: Int64?, end: Int64?, error: Bool) {
        switch state {
        case 0:
            m.files += 1
            m.bytes += size
            if error { m.errors += 1 }
            if let start { m.oldest = min(m.oldest ?? start, start) }
            if let end { m.newest = max(m.newest ?? end, end) }
        case 1: m.missing += 1
        default: m.deleted += 1
        }
    }
}
