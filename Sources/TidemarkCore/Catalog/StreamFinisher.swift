import Foundation
import GRDB
import Synchronization

/// Recomputes what a stream's files imply together, after a scan or a deletion changed
/// some of them: name coverage clipped to the next file's start, merged coverage runs
/// (live and gone apart), monthly rollups for reports, and the stream's longest file,
/// which bounds overlap queries.
///
/// One ordered pass per stream, in the caller's write transaction.
public struct StreamFinisher {
    let db: Database

    struct Row {
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
    public struct Month: Sendable {
        public var files: Int64 = 0, bytes: Int64 = 0, oldest: Int64?, newest: Int64?
        public var missing: Int64 = 0, deleted: Int64 = 0, errors: Int64 = 0
        var isEmpty: Bool { files + missing + deleted == 0 }
    }

    /// What one stream's files imply: computed from its rows, written by each store's writer.
    public struct Derived: Sendable {
        public var stream: Int64
        /// Name-timed files whose end moves to the next file's start.
        public var clips: [(id: Int64, end: Int64)] = []
        public var runs: [(live: Bool, start: Int64, end: Int64, files: Int64, bytes: Int64)] = []
        /// The stream's longest file, which bounds overlap queries.
        public var longest: Int64 = 0
        /// Rollups by UTC month of coverage start (key year * 12 + month - 1; -1: no coverage).
        public var months: [(key: Int64, month: Month)] = []
        /// Rows to write, for bounding what waits in memory.
        public var weight: Int { clips.count + runs.count + months.count + 1 }
    }

    /// One of a stream's files as `derive` reads them: ordered by start, then id.
    public struct FileRow: Sendable {
        public var id: Int64
        /// nil: no coverage (counted in reports, never drawn).
        public var start: Int64?
        public var end: Int64
        public var source: Int64
        public var state: Int64
        public var size: Int64
        public var hasError: Bool

        public init(id: Int64, start: Int64?, end: Int64, source: Int64, state: Int64, size: Int64, hasError: Bool) {
            self.id = id; self.start = start; self.end = end; self.source = source; self.state = state; self.size = size; self.hasError = hasError
        }
    }

    /// Files without a start, of one state, that a store counted itself (they need no order).
    public struct UndatedFiles: Sendable {
        public var state: Int64, files: Int64, bytes: Int64, errors: Int64

        public init(state: Int64, files: Int64, bytes: Int64, errors: Int64) {
            self.state = state; self.files = files; self.bytes = bytes; self.errors = errors
        }
    }

    /// Derives a stream from its rows, which `read` hands over in start, id order (rows
    /// without a start first), in one pass that holds only the rows sharing one start; the
    /// `undated` files counted as the rows without a start are.
    public static func derive<E: Error>(stream: Int64, undated: [UndatedFiles] = [],
                                        rows read: (_ body: (FileRow) -> Void) throws(E) -> Void) throws(E) -> Derived {
        var pass = Pass(stream: stream)
        for u in undated { Self.count(&pass.undated, u) }
        try read { r in
            guard let start = r.start else {
                Self.count(&pass.undated, state: r.state, size: r.size, start: nil, end: nil, error: r.hasError)
                return
            }
            pass.add(Row(id: r.id, start: start, end: r.end, nameTimed: r.source == Int64(TimeSource.name.code),
                         state: r.state, size: r.size, hasError: r.hasError))
        }
        return pass.finish()
    }

    /// A stream's files in the order `derive` needs.
    static let readSQL = """
        SELECT id, start, "end", source, state, size, error IS NOT NULL FROM files
        WHERE stream_id = ?1 ORDER BY start, id
        """

    func finish(streams: some Sequence<Int64>) throws {
        let read = FastStatement(try db.cachedStatement(sql: Self.readSQL))
        let writer = try Writer(db)
        for stream in streams {
            read.bind(1, stream)
            try writer.write(try Self.derive(stream: stream) { body in try read.forEachRow(body) })
        }
    }

    /// Finishes `streams` in the caller's write transaction on `db`, their rows read on
    /// `threads` read-only connections meanwhile: the reading, not the writing, is most
    /// of the work. The rows read must be committed (readers do not see `db`'s transaction).
    static func finish(streams: [Int64], readingFrom path: String, threads: Int, db: Database) throws(CatalogError) {
        guard !streams.isEmpty else { return }
        do {
            let writer = try Writer(db)
            try deriveInParallel(streams, readers: threads,
                                 open: { _ in try ReadConnection.Statement(ReadConnection(path: path), sql: Self.readSQL) },
                                 derive: { read, stream in
                                     read.bind(1, stream)
                                     return try derive(stream: stream) { (body) throws(CatalogError) in try read.forEachRow(body) }
                                 },
                                 consume: { try writer.write($0) })
        } catch {
            throw error as? CatalogError ?? CatalogError(path: path, error)
        }
    }

    /// Derives `streams` on `readers` threads at once, handing each result to `consume` on the
    /// calling thread as it comes (in no particular order): each thread reads through what
    /// `open` gives it (by thread number), stream after stream, then `close`s it. The first
    /// error stops every thread and is thrown.
    public static func deriveInParallel<Reader>(
        _ streams: [Int64], readers: Int, open: @escaping @Sendable (Int) throws -> Reader,
        derive: @escaping @Sendable (Reader, Int64) throws -> Derived, close: @escaping @Sendable (Reader) -> Void = { _ in },
        consume: (Derived) throws -> Void
    ) throws {
        guard !streams.isEmpty else { return }
        let queue = BoundedQueue<Result<Derived, any Error>>(capacity: 200_000)
        let next = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let group = DispatchGroup()
        for thread in 0..<max(1, min(readers, streams.count)) {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let reader = try open(thread)
                    defer { close(reader) }
                    while !stop.load(ordering: .relaxed) {
                        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard i < streams.count else { break }
                        let d = try derive(reader, streams[i])
                        queue.push(.success(d), weight: d.weight)
                    }
                } catch {
                    queue.push(.failure(error), weight: 1)
                }
            }
        }
        Thread.detachNewThread {
            group.wait()
            queue.close()
        }
        do {
            while let items = queue.popAll() {
                for item in items { try consume(item.get()) }
            }
        } catch {
            // Readers stop at their next stream; none waits on a full queue once it is closed.
            stop.store(true, ordering: .relaxed)
            queue.close()
            group.wait()
            throw error
        }
    }

    /// Derives a stream from its rows, which `read` hands over in `readSQL`'s order, in one
    /// pass that holds only the rows sharing one start (memory does not grow with the stream).
    static func derive<E: Error>(stream: Int64, read: (_ body: (FastStatement.Row) -> Void) throws(E) -> Void) throws(E) -> Derived {
        var pass = Pass(stream: stream)
        try read { r in
            guard !r.isNull(1) else {  // no coverage: counted in reports, never drawn
                Self.count(&pass.undated, state: r.int64(4), size: r.int64(5), start: nil, end: nil, error: r.int64(6) != 0)
                return
            }
            pass.add(Row(id: r.int64(0), start: r.int64(1), end: r.int64(2), nameTimed: r.int64(3) == Int64(TimeSource.name.code),
                         state: r.int64(4), size: r.int64(5), hasError: r.int64(6) != 0))
        }
        return pass.finish()
    }

    /// One ordered pass over a stream's dated rows.
    private struct Pass {
        var derived: Derived
        var undated = Month()
        /// Rows of one start, held until the next start is known: it clips their ends.
        private var group: [Row] = []
        /// Merged intervals of live files and of gone files: those closed, and the one open.
        private struct Side {
            var runs: [(start: Int64, end: Int64, files: Int64, bytes: Int64)] = []
            var open: (start: Int64, end: Int64, files: Int64, bytes: Int64)?
        }
        private var live = Side(), gone = Side()
        private var months: [(key: Int64, month: Month)] = []
        private var monthEnd = Int64.min

        init(stream: Int64) { derived = Derived(stream: stream) }

        mutating func add(_ row: Row) {
            if let first = group.first, first.start != row.start { settle(nextStart: row.start) }
            group.append(row)
        }

        mutating func finish() -> Derived {
            settle(nextStart: .max)
            for live in [true, false] {
                let side = live ? self.live : gone
                for r in side.runs + (side.open.map { [$0] } ?? []) { derived.runs.append((live, r.start, r.end, r.files, r.bytes)) }
            }
            derived.months = (undated.isEmpty ? [] : [(Int64(-1), undated)]) + months
            return derived
        }

        /// A file named by time ends where the next one (of a later start) begins: its writer
        /// closed it then. Gone files count too: their data ended there as well.
        private mutating func settle(nextStart: Int64) {
            for var row in group {
                if row.nameTimed && nextStart < row.end {
                    row.end = nextStart
                    derived.clips.append((row.id, nextStart))
                }
                derived.longest = max(derived.longest, row.end - row.start)
                if row.end > row.start {  // instants cover no time
                    if row.live { Self.extend(&live, row) } else { Self.extend(&gone, row) }
                }
                count(row)
            }
            group.removeAll(keepingCapacity: true)
        }

        /// Merged intervals of live files and of gone files.
        private static func extend(_ side: inout Side, _ row: Row) {
            if var r = side.open, row.start <= r.end {
                r.end = max(r.end, row.end); r.files += 1; r.bytes += row.size
                side.open = r
            } else {
                if let r = side.open { side.runs.append(r) }
                side.open = (row.start, row.end, 1, row.size)
            }
        }

        /// Rollups by the UTC month each file's coverage starts in.
        private mutating func count(_ row: Row) {
            if row.start >= monthEnd || months.isEmpty {
                let c = Instant(microseconds: row.start).civil
                let key = Int64(c.year * 12 + c.month - 1)
                if months.last?.key != key { months.append((key, Month())) }
                let (y, m) = c.month == 12 ? (c.year + 1, 1) : (c.year, c.month + 1)
                monthEnd = Instant(year: y, month: m, day: 1)?.microseconds ?? Int64.max
            }
            StreamFinisher.count(&months[months.count - 1].month, state: row.state, size: row.size, start: row.start, end: row.end, error: row.hasError)
        }
    }

    /// Writes what `derive` found, in the caller's write transaction.
    struct Writer {
        private let clip: FastStatement, clearRuns: FastStatement, addRun: FastStatement, bound: FastStatement
        private let clearMonths: FastStatement, addMonth: FastStatement

        init(_ db: Database) throws {
            clip = FastStatement(try db.cachedStatement(sql: "UPDATE files SET \"end\" = ?2 WHERE id = ?1"))
            clearRuns = FastStatement(try db.cachedStatement(sql: "DELETE FROM coverage_runs WHERE stream_id = ?1"))
            addRun = FastStatement(try db.cachedStatement(sql: """
                INSERT INTO coverage_runs (stream_id, live, start, "end", files, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """))
            bound = FastStatement(try db.cachedStatement(sql: "UPDATE streams SET max_duration = ?2 WHERE id = ?1"))
            clearMonths = FastStatement(try db.cachedStatement(sql: "DELETE FROM stream_months WHERE stream_id = ?1"))
            addMonth = FastStatement(try db.cachedStatement(sql: """
                INSERT INTO stream_months (stream_id, month, files, bytes, oldest, newest, missing, deleted, errors)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                """))
        }

        func write(_ d: Derived) throws {
            for (id, end) in d.clips {
                clip.bind(1, id)
                clip.bind(2, end)
                try clip.execute()
            }
            clearRuns.bind(1, d.stream)
            try clearRuns.execute()
            for r in d.runs {
                addRun.bind(1, d.stream); addRun.bind(2, r.live ? 1 : 0); addRun.bind(3, r.start); addRun.bind(4, r.end)
                addRun.bind(5, r.files); addRun.bind(6, r.bytes)
                try addRun.execute()
            }
            bound.bind(1, d.stream)
            bound.bind(2, d.longest)
            try bound.execute()
            clearMonths.bind(1, d.stream)
            try clearMonths.execute()
            for (key, m) in d.months {
                addMonth.bind(1, d.stream); addMonth.bind(2, key); addMonth.bind(3, m.files); addMonth.bind(4, m.bytes)
                addMonth.bind(5, m.oldest); addMonth.bind(6, m.newest); addMonth.bind(7, m.missing); addMonth.bind(8, m.deleted)
                addMonth.bind(9, m.errors)
                try addMonth.execute()
            }
        }
    }

    /// As `count` of each of them.
    static func count(_ m: inout Month, _ u: UndatedFiles) {
        switch u.state {
        case 0:
            m.files += u.files
            m.bytes += u.bytes
            m.errors += u.errors
        case 1: m.missing += u.files
        default: m.deleted += u.files
        }
    }

    static func count(_ m: inout Month, state: Int64, size: Int64, start: Int64?, end: Int64?, error: Bool) {
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
