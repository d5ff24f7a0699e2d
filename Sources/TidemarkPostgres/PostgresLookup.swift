import Foundation
import NIOCore
import PostgresNIO
import Synchronization
import TidemarkCore

/// One walker's lookups: a directory's catalogued files, in name order, on its own connection.
///
/// A round trip per directory would bound a rescan by the server's latency, so a query for a
/// directory also brings the directories below it, in path order, up to a cap of rows; they
/// wait in `PrefetchedDirectories` for whichever walker visits them, and the span of paths a
/// query covered answers, without a query, for a directory in it that did not come: it is not
/// in the catalog (a first scan asks once per root). The walker visits a directory before it
/// pushes its subdirectories, so nothing below is looked up before the answer is in; and
/// rows fetched early are the rows a later query would read, since only this scan's writer
/// changes the context's directories, each after its own lookup.
final class PostgresLookup: DirectoryLookup {
    private let session: PostgresSession
    private let prefetched: PrefetchedDirectories
    /// Where the session goes when the walker is done with it.
    private let parking: PostgresScanStore?

    init(_ session: PostgresSession, prefetched: PrefetchedDirectories, parking: PostgresScanStore? = nil) {
        self.session = session; self.prefetched = prefetched; self.parking = parking
    }

    deinit { parking?.park(session) }

    /// One catalogued file as the compare needs it.
    struct Entry {
        var id: Int64
        var name: PathBytes
        var stat: FileStat
        var state: FileState
    }

    func directory<T>(root: Int64, relative: PathBytes, _ body: (inout Cursor) throws(CatalogError) -> T) throws(CatalogError) -> T {
        let own = prefetched.take(root: root, path: relative)
        var cursor = Cursor(entries: own?.entries ?? [], dirId: own?.dirId)
        for (path, directory) in try fetch(root: root, relative: relative, ownKnown: own != nil) {
            if path == relative { cursor = Cursor(entries: directory.entries, dirId: directory.dirId) } else {
                prefetched.put(root: root, path: path, directory)
            }
        }
        return try body(&cursor)
    }

    private static let select = """
        SELECT d.id, d.path, f.id, f.name, f.size, f.mtime, f.inode, f.device, f.state, f.ctime
        FROM dirs d LEFT JOIN LATERAL (
            SELECT id, name, size, mtime, inode, device, state, ctime FROM files WHERE dir_id = d.id ORDER BY name OFFSET 0
        ) f ON true
        """

    /// What the catalog has of the directory (unless `ownKnown`, or its path was covered) and,
    /// as far as the allowance goes, of the directories below it not yet fetched; records the
    /// spans of paths this covered.
    private func fetch(root: Int64, relative: PathBytes, ownKnown: Bool) throws(CatalogError) -> [(PathBytes, PrefetchedDirectories.Directory)] {
        let own = !ownKnown && !prefetched.covers(root: root, path: relative)
        let limit = prefetched.allowance()
        // Below `a/b`: the paths from `a/b/` up to `a/b0` (`a/b-c` sorts between `a/b` and
        // `a/b/`, and is not below); below the root: every other path.
        let end: PathBytes? = relative.isEmpty ? nil : relative + [0x30]
        let start = limit == 0 ? nil : prefetched.firstUncovered(root: root, from: relative.isEmpty ? [0] : relative + [0x2F], before: end)
        let alone: PostgresQuery = "\(unescaped: Self.select) WHERE d.root_id = \(root) AND d.path = \(ByteBuffer(path: relative))"
        guard let start else {
            guard own else { return [] }
            if !relative.isEmpty { prefetched.covered(root: root, relative, through: relative + [0]) }
            return try Self.directories(session.rows(alone)).found
        }
        // Directories in path order, each with its files through the (dir_id, name) index: a
        // plan that streams, so the LIMIT stops it early whatever the statistics say.
        let from = own ? relative : start
        let query: PostgresQuery = if let end {
            """
            \(unescaped: Self.select) WHERE d.root_id = \(root) AND d.path >= \(ByteBuffer(path: from)) AND d.path < \(ByteBuffer(path: end))
                AND (d.path = \(ByteBuffer(path: relative)) OR d.path >= \(ByteBuffer(path: start)))
            ORDER BY d.path LIMIT \(limit + 1)
            """
        } else {
            """
            \(unescaped: Self.select) WHERE d.root_id = \(root) AND d.path >= \(ByteBuffer(path: from))
                AND (d.path = \(ByteBuffer(path: relative)) OR d.path >= \(ByteBuffer(path: start)))
            ORDER BY d.path LIMIT \(limit + 1)
            """
        }
        var got = try Self.directories(session.rows(query))
        if own && !relative.isEmpty { prefetched.covered(root: root, relative, through: relative + [0]) }
        if got.rows <= limit {
            prefetched.covered(root: root, start, through: end)
            return got.found
        }
        // Cut at the cap: the last directory may be short, and is looked up on its own.
        let last = got.found.removeLast().0
        if last == relative { return try Self.directories(session.rows(alone)).found }
        if let through = got.found.last?.0, !Cursor.precedes(through, start) {
            prefetched.covered(root: root, start, through: through + [0])
        }
        return got.found
    }

    /// Rows of `fetch`'s queries grouped by directory, each directory's files in name order
    /// (bytea orders as SQLite's blobs: bytes, then length), and how many rows there were.
    private static func directories(_ rows: [PostgresRow]) -> (found: [(PathBytes, PrefetchedDirectories.Directory)], rows: Int) {
        var out: [(PathBytes, PrefetchedDirectories.Directory)] = []
        for row in rows {
            var cells = row.makeIterator()
            let dirId = cells.next()!.int64
            let path = cells.next()!.byteArray
            if out.last?.0 != path {
                out.append((path, PrefetchedDirectories.Directory(dirId: dirId, entries: [])))
            }
            let fileId = cells.next()!
            guard fileId.bytes != nil else { continue }
            let name = cells.next()!.byteArray
            let size = cells.next()!.int64, mtime = cells.next()!.int64, inode = cells.next()!.int64, device = cells.next()!.int64
            let state = FileState(rawValue: Int(cells.next()!.optionalInt ?? 0)) ?? .live
            let ctime = cells.next()!.int64
            out[out.count - 1].1.entries.append(Entry(
                id: fileId.int64, name: name,
                stat: FileStat(size: size, mtimeNanoseconds: mtime, inode: UInt64(bitPattern: inode), device: UInt64(bitPattern: device),
                               ctimeNanoseconds: ctime),
                state: state))
        }
        // The compare walks names in order: make sure of it rather than trust a plan.
        for i in out.indices {
            let e = out[i].1.entries
            if zip(e, e.dropFirst()).contains(where: { !Cursor.precedes($0.name, $1.name) }) {
                out[i].1.entries.sort { Cursor.precedes($0.name, $1.name) }
            }
        }
        return (out, rows.count)
    }

    /// A directory's files read into memory, one at a time.
    struct Cursor: CatalogCursor {
        let entries: [Entry]
        private var index = 0
        let dirId: Int64?

        init(entries: [Entry], dirId: Int64?) { self.entries = entries; self.dirId = dirId }

        var onRow: Bool { index < entries.count }
        mutating func advance() throws(CatalogError) { index += 1 }

        func compareName(_ name: PathBytes) -> Int { Self.compare(entries[index].name, name) }

        /// Bytes, then length: the catalog's order of names and paths.
        static func precedes(_ a: PathBytes, _ b: PathBytes) -> Bool { compare(a, b) < 0 }

        static func compare(_ a: PathBytes, _ b: PathBytes) -> Int {
            a.withUnsafeBytes { p in
                b.withUnsafeBytes { q in
                    let common = min(p.count, q.count)
                    let c = common == 0 ? 0 : memcmp(p.baseAddress!, q.baseAddress!, common)
                    return c != 0 ? Int(c) : p.count - q.count
                }
            }
        }

        var id: Int64 { entries[index].id }
        var state: FileState { entries[index].state }
        var name: PathBytes { entries[index].name }
        func isUnchanged(_ s: FileStat) -> Bool { file.isUnchanged(s) }
        var file: CatalogedFile { CatalogedFile(id: entries[index].id, name: entries[index].name, stat: entries[index].stat, state: entries[index].state) }
    }
}

/// What a scan's lookups fetched ahead, shared by its walkers: directories waiting for their
/// walker (each taken once), and the spans of paths whose every catalogued directory was
/// fetched. At most `cap` rows come per query, and no more than `maxWaiting` wait in all
/// (beyond it, a lookup asks for its own directory alone), so memory stays bounded whatever
/// order the walk takes.
final class PrefetchedDirectories: Sendable {
    /// Rows one query brings at most.
    let cap: Int
    /// Rows that may wait at once.
    let maxWaiting: Int

    init(cap: Int = 20_000, maxWaiting: Int = 100_000) { self.cap = cap; self.maxWaiting = maxWaiting }

    /// A directory's row and its files in name order.
    struct Directory {
        var dirId: Int64
        var entries: [PostgresLookup.Entry]
    }

    private struct Key: Hashable { var root: Int64; var path: PathBytes }
    /// A span of paths, from `from` up to (not including) `to`; nil: to the end.
    private struct Span { var from: PathBytes; var to: PathBytes? }
    private struct State {
        var waiting: [Key: Directory] = [:]
        var rows = 0
        /// Per root, disjoint spans sorted by their start.
        var spans: [Int64: [Span]] = [:]
    }
    private let state = Mutex(State())

    /// How many rows the next query may bring for others (0: its own directory only).
    func allowance() -> Int { state.withLock { max(0, min(cap, maxWaiting - $0.rows)) } }

    func put(root: Int64, path: PathBytes, _ directory: Directory) {
        state.withLock {
            if let old = $0.waiting.updateValue(directory, forKey: Key(root: root, path: path)) { $0.rows -= max(1, old.entries.count) }
            $0.rows += max(1, directory.entries.count)
        }
    }

    func take(root: Int64, path: PathBytes) -> Directory? {
        state.withLock {
            guard let d = $0.waiting.removeValue(forKey: Key(root: root, path: path)) else { return nil }
            $0.rows -= max(1, d.entries.count)
            return d
        }
    }

    /// Every catalogued directory of `root` from `from` up to `to` (nil: the end) was fetched.
    func covered(root: Int64, _ from: PathBytes, through to: PathBytes?) {
        state.withLock { s in
            var spans = s.spans[root, default: []]
            var at = spans.partitionPoint { PostgresLookup.Cursor.precedes($0.from, from) }
            spans.insert(Span(from: from, to: to), at: at)
            // Spans that meet become one, so that a search never walks a chain of them.
            if at > 0, spans[at - 1].to == from {
                spans[at - 1].to = to
                spans.remove(at: at)
                at -= 1
            }
            if at + 1 < spans.count, let end = spans[at].to, spans[at + 1].from == end {
                spans[at].to = spans[at + 1].to
                spans.remove(at: at + 1)
            }
            s.spans[root] = spans
        }
    }

    /// The first path from `from` (and before `end`, nil: no end) that no span covers; nil
    /// when they cover all of it.
    func firstUncovered(root: Int64, from: PathBytes, before end: PathBytes?) -> PathBytes? {
        var at = from
        while let span = span(root: root, containing: at) {
            guard let to = span.to else { return nil }
            at = to
        }
        if let end, !PostgresLookup.Cursor.precedes(at, end) { return nil }
        return at
    }

    private func span(root: Int64, containing path: PathBytes) -> Span? {
        state.withLock { s in
            guard let spans = s.spans[root] else { return nil }
            let after = spans.partitionPoint { !PostgresLookup.Cursor.precedes(path, $0.from) }
            guard after > 0 else { return nil }
            let span = spans[after - 1]
            return span.to.map { PostgresLookup.Cursor.precedes(path, $0) } ?? true ? span : nil
        }
    }

    /// `path` lies in a span fetched whole: not having come, it is not in the catalog.
    func covers(root: Int64, path: PathBytes) -> Bool {
        state.withLock { s in
            guard let spans = s.spans[root] else { return false }
            // The last span starting at or before `path`.
            let after = spans.partitionPoint { !PostgresLookup.Cursor.precedes(path, $0.from) }
            guard after > 0 else { return false }
            let span = spans[after - 1]
            return span.to.map { PostgresLookup.Cursor.precedes(path, $0) } ?? true
        }
    }

    func removeAll() { state.withLock { $0 = State() } }
}

extension Array {
    /// The index of the first element for which `belongs` is false, the elements for which it
    /// is true all coming first.
    fileprivate func partitionPoint(_ belongs: (Element) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongs(self[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
