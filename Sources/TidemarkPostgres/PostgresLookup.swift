import Foundation
import NIOCore
import PostgresNIO
import TidemarkCore

/// One walker's lookups: a directory's catalogued files, in name order, on its own connection.
///
/// A round trip per directory would bound a rescan by the server's latency, so a query for a
/// directory also brings the directories after it in path order — below it, then its later
/// siblings and theirs — up to a cap of rows; they wait in `PrefetchedDirectories` for
/// whichever walker visits them, and the span of paths a query covered answers, without a
/// query, for a directory in it that did not come: it is not in the catalog (a first scan
/// asks once per root). Each query reserves the span it fetches first, and a walker whose
/// directory lies in a reserved span waits for it rather than ask again, so no directory is
/// fetched twice and none is fetched after its walker visited it: rows fetched early are the
/// rows a later query would read, since only this scan's writer changes the context's
/// directories, each after its own lookup. (Below its own subtree alone, a query cut at the
/// cap left the rest of a large subtree to a query per directory: 2,134 queries for a
/// rescan of 1,000,000 files.)
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
        // Below `a/b`: the paths from `a/b/` up to `a/b0` (`a/b-c` sorts between `a/b` and
        // `a/b/`, and is not below), and on through its later siblings, up to its parent's
        // end; below the root: every other path.
        let plan = prefetched.plan(root: root, path: relative, from: relative.isEmpty ? [0] : relative + [0x2F],
                                   before: Self.end(ofParentOf: relative))
        var own = plan.own
        if plan.ownUnknown || plan.start != nil {
            let got: (found: [(PathBytes, PrefetchedDirectories.Directory)], through: PathBytes??)
            do { got = try fetch(root: root, relative: relative, plan) } catch {
                prefetched.landed(root: root, path: relative, plan, [], through: nil, failed: true)
                throw error
            }
            var others = got.found
            if let i = others.firstIndex(where: { $0.0 == relative }) { own = others.remove(at: i).1 }
            prefetched.landed(root: root, path: relative, plan, others, through: got.through)
        }
        var cursor = Cursor(entries: own?.entries ?? [], dirId: own?.dirId)
        return try body(&cursor)
    }

    /// Where the paths after `path`'s subtree that a lookup of it may bring end: its parent's
    /// subtree's end (nil: the root's, which has none).
    static func end(ofParentOf path: PathBytes) -> PathBytes? {
        guard let slash = path.lastIndex(of: 0x2F) else { return nil }
        return Array(path[..<slash]) + [0x30]
    }

    /// Directories with their files, a row per file (a directory without files: one row of
    /// NULLs); `fetch` adds the conditions and the row limit.
    private static let select = """
        SELECT d.id, d.path, f.id AS file_id, f.name,
               int8send(f.id) || int8send(f.size) || int8send(f.mtime) || int8send(f.inode) || int8send(f.device) || int8send(f.ctime)
               || int4send(f.state) AS numbers
        FROM dirs d LEFT JOIN LATERAL (
            SELECT id, name, size, mtime, inode, device, state, ctime FROM files WHERE dir_id = d.id ORDER BY name OFFSET 0
        ) f ON true
        """

    /// Sends those rows back a row per directory: its names joined by "/" (which no name
    /// holds) and its numbers as fixed-width binary, both aggregated in the one order the rows
    /// come in (name order, which `directories` checks). A row per file cost the client more
    /// than the rescan's every `fstatat` in decoding.
    private static let grouped = (
        head: """
            SELECT min(id), path, count(file_id), string_agg(name, '\\x2f'::bytea), string_agg(numbers, ''::bytea) FROM (
            """,
        // By path alone (a path is one directory): grouped by (path, id) the plan re-sorted
        // each directory's rows, out of name order.
        tail: ") AS rows GROUP BY path ORDER BY path")

    /// Bytes of one file's numbers: id, size, mtime, inode, device, ctime, then the state.
    private static let numbersWidth = 6 * 8 + 4

    /// What the catalog has of the directory (when the plan does not know it) and, up to the
    /// allowance, of the span the plan reserved; and how far that span is now covered (nil:
    /// none of it; `.some(nil)`: to its end, which is the end of all paths).
    private func fetch(root: Int64, relative: PathBytes, _ plan: PrefetchedDirectories.Plan)
        throws(CatalogError) -> (found: [(PathBytes, PrefetchedDirectories.Directory)], through: PathBytes??) {
        let alone: PostgresQuery = """
            \(unescaped: Self.grouped.head)\(unescaped: Self.select) WHERE d.root_id = \(root) AND d.path = \(ByteBuffer(path: relative))\(unescaped: Self.grouped.tail)
            """
        guard let start = plan.start else { return (try directories(session.rows(alone)).found, nil) }
        // Directories in path order, each with its files through the (dir_id, name) index: a
        // plan that streams, so the LIMIT stops it early whatever the statistics say.
        let from = plan.ownUnknown ? relative : start, limit = plan.allowance
        let query: PostgresQuery = if let end = plan.end {
            """
            \(unescaped: Self.grouped.head)\(unescaped: Self.select) WHERE d.root_id = \(root) AND d.path >= \(ByteBuffer(path: from)) AND d.path < \(ByteBuffer(path: end))
                AND (d.path = \(ByteBuffer(path: relative)) OR d.path >= \(ByteBuffer(path: start)))
            ORDER BY d.path LIMIT \(limit + 1)\(unescaped: Self.grouped.tail)
            """
        } else {
            """
            \(unescaped: Self.grouped.head)\(unescaped: Self.select) WHERE d.root_id = \(root) AND d.path >= \(ByteBuffer(path: from))
                AND (d.path = \(ByteBuffer(path: relative)) OR d.path >= \(ByteBuffer(path: start)))
            ORDER BY d.path LIMIT \(limit + 1)\(unescaped: Self.grouped.tail)
            """
        }
        var got = try directories(session.rows(query))
        if got.rows <= limit { return (got.found, .some(plan.end)) }
        // Cut at the cap: the last directory may be short, and is looked up on its own.
        let last = got.found.removeLast().0
        if last == relative { got.found += try directories(session.rows(alone)).found }
        guard let through = got.found.last(where: { $0.0 != relative })?.0, !Cursor.precedes(through, start) else { return (got.found, nil) }
        return (got.found, .some(through + [0]))
    }

    /// The directories of `fetch`'s queries, each directory's files in name order (bytea
    /// orders as SQLite's blobs: bytes, then length), and how many rows (files, or one for a
    /// directory without) the row limit counted.
    private func directories(_ rows: [PostgresRow]) throws(CatalogError) -> (found: [(PathBytes, PrefetchedDirectories.Directory)], rows: Int) {
        var out: [(PathBytes, PrefetchedDirectories.Directory)] = []
        out.reserveCapacity(rows.count)
        var counted = 0
        for row in rows {
            var cells = row.makeIterator()
            let dirId = cells.next()!.int64
            let path = cells.next()!.byteArray
            let files = Int(cells.next()!.int64)
            counted += max(1, files)
            var entries: [Entry] = []
            if files > 0, let names = cells.next()!.bytes, var numbers = cells.next()!.bytes,
               numbers.readableBytes == files * Self.numbersWidth {
                entries.reserveCapacity(files)
                _ = names.readableBytesView.withContiguousStorageIfAvailable { all in
                    var at = all.startIndex
                    while at <= all.endIndex, let id = numbers.readInteger(as: Int64.self),
                          let size = numbers.readInteger(as: Int64.self), let mtime = numbers.readInteger(as: Int64.self),
                          let inode = numbers.readInteger(as: Int64.self), let device = numbers.readInteger(as: Int64.self),
                          let ctime = numbers.readInteger(as: Int64.self), let state = numbers.readInteger(as: Int32.self) {
                        let end = all[at...].firstIndex(of: 0x2F) ?? all.endIndex
                        entries.append(Entry(
                            id: id, name: PathBytes(all[at..<end]),
                            stat: FileStat(size: size, mtimeNanoseconds: mtime, inode: UInt64(bitPattern: inode), device: UInt64(bitPattern: device),
                                           ctimeNanoseconds: ctime),
                            state: FileState(rawValue: Int(state)) ?? .live))
                        at = end + 1
                    }
                }
                // The compare walks names in order: make sure of it rather than trust a plan.
                if zip(entries, entries.dropFirst()).contains(where: { !Cursor.precedes($0.name, $1.name) }) {
                    entries.sort { Cursor.precedes($0.name, $1.name) }
                }
            }
            guard entries.count == files else {
                throw CatalogError(path: session.url.masked, kind: .corrupt,
                                   message: "directory \(dirId): the server sent \(entries.count) of its \(files) files' names and numbers")
            }
            out.append((path, PrefetchedDirectories.Directory(dirId: dirId, entries: entries)))
        }
        return (out, counted)
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
/// walker (each taken once), the spans of paths whose every catalogued directory was fetched,
/// and the spans being fetched. At most `cap` rows come per query, and no more than
/// `maxWaiting` wait in all (beyond it, a lookup asks for its own directory alone), so memory
/// stays bounded whatever order the walk takes.
final class PrefetchedDirectories: @unchecked Sendable {  // its state only under `lock`
    /// Rows one query brings at most.
    let cap: Int
    /// Rows that may wait at once.
    let maxWaiting: Int

    init(cap: Int = 100_000, maxWaiting: Int = 1_000_000) { self.cap = cap; self.maxWaiting = maxWaiting }

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
        /// Per root, disjoint spans sorted by their start: those fetched (spans that meet
        /// merged), and those a query is fetching (disjoint from the fetched).
        var covered: [Int64: [Span]] = [:]
        var fetching: [Int64: [Span]] = [:]
    }
    // A lock that sleeps when taken (Synchronization's Mutex spins first, and eight walkers
    // spinning on two cores took a seventh of a rescan's CPU), and that walkers wait on for a
    // span being fetched.
    private let lock = NSCondition()
    private var _state = State()

    private func withState<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&_state)
    }

    /// What one lookup does, decided under the lock.
    struct Plan {
        /// Its directory, fetched by an earlier query.
        var own: Directory?
        /// Whether its directory may be in the catalog unfetched: the lookup fetches it (and
        /// has reserved its path).
        var ownUnknown: Bool
        /// Rows its query may bring for others.
        var allowance: Int
        /// The span reserved for it to fetch for others, from `start` up to `end` (nil: to the
        /// end of all paths); no `start`, nothing to fetch.
        var start: PathBytes?
        var end: PathBytes?
    }

    /// For a lookup of `path`: its directory if a query fetched it (waiting first for a query
    /// fetching it), and the span to fetch for others — the first paths from `from`, and
    /// before `before` (nil: no end), that no span covers or is fetching, up to the next that
    /// is — reserved, with `path` itself when unknown, until `landed`.
    func plan(root: Int64, path: PathBytes, from: PathBytes, before: PathBytes?) -> Plan {
        lock.lock()
        defer { lock.unlock() }
        while Self.span(_state.fetching[root] ?? [], containing: path) != nil { lock.wait() }
        let key = Key(root: root, path: path)
        var plan = Plan(own: _state.waiting.removeValue(forKey: key), ownUnknown: false, allowance: 0)
        if let own = plan.own { _state.rows -= max(1, own.entries.count) }
        let covered = _state.covered[root] ?? [], fetching = _state.fetching[root] ?? []
        if plan.own == nil, Self.span(covered, containing: path) == nil {
            plan.ownUnknown = true
            Self.insert(Span(from: path, to: path + [0]), into: &_state.fetching[root, default: []], merging: false)
        }
        plan.allowance = max(0, min(cap, maxWaiting - _state.rows))
        guard plan.allowance > 0 else { return plan }
        var at = from
        while let span = Self.span(covered, containing: at) ?? Self.span(fetching, containing: at) {
            guard let to = span.to else { return plan }
            at = to
        }
        if let before, !PostgresLookup.Cursor.precedes(at, before) { return plan }
        // Up to the next span covered or being fetched, or `before`.
        let next = [Self.next(covered, after: at), Self.next(fetching, after: at), before].compactMap { $0 }
        plan.start = at
        plan.end = next.min(by: PostgresLookup.Cursor.precedes)
        Self.insert(Span(from: at, to: plan.end), into: &_state.fetching[root, default: []], merging: false)
        return plan
    }

    /// What `plan`'s query brought: the directories for others to take, and how far its span
    /// is now covered (nil: none of it; `.some(nil)`: to the end of all paths). Releases its
    /// reservations — its own path then covered, unless the query `failed` — and wakes the
    /// walkers waiting for them.
    func landed(root: Int64, path: PathBytes, _ plan: Plan, _ others: [(PathBytes, Directory)], through: PathBytes??, failed: Bool = false) {
        lock.lock()
        defer { lock.broadcast(); lock.unlock() }
        for (p, directory) in others {
            if let old = _state.waiting.updateValue(directory, forKey: Key(root: root, path: p)) { _state.rows -= max(1, old.entries.count) }
            _state.rows += max(1, directory.entries.count)
        }
        if plan.ownUnknown {
            _state.fetching[root]?.removeAll { $0.from == path }
            if !failed { Self.insert(Span(from: path, to: path + [0]), into: &_state.covered[root, default: []], merging: true) }
        }
        if let start = plan.start {
            _state.fetching[root]?.removeAll { $0.from == start }
            if let through { Self.insert(Span(from: start, to: through), into: &_state.covered[root, default: []], merging: true) }
        }
    }

    /// Inserts `span` in order; `merging`, spans that meet become one, so that a search never
    /// walks a chain of them. In place: a copy of the spans per call made a rescan of 37,000
    /// directories quadratic.
    private static func insert(_ span: Span, into spans: inout [Span], merging: Bool) {
        var at = spans.partitionPoint { PostgresLookup.Cursor.precedes($0.from, span.from) }
        spans.insert(span, at: at)
        guard merging else { return }
        if at > 0, spans[at - 1].to == span.from {
            spans[at - 1].to = span.to
            spans.remove(at: at)
            at -= 1
        }
        if at + 1 < spans.count, let end = spans[at].to, spans[at + 1].from == end {
            spans[at].to = spans[at + 1].to
            spans.remove(at: at + 1)
        }
    }

    /// The span holding `path`, if any (the last one starting at or before it).
    private static func span(_ spans: [Span], containing path: PathBytes) -> Span? {
        let after = spans.partitionPoint { !PostgresLookup.Cursor.precedes(path, $0.from) }
        guard after > 0 else { return nil }
        let span = spans[after - 1]
        return span.to.map { PostgresLookup.Cursor.precedes(path, $0) } ?? true ? span : nil
    }

    /// The start of the first span that starts after `path`.
    private static func next(_ spans: [Span], after path: PathBytes) -> PathBytes? {
        let i = spans.partitionPoint { !PostgresLookup.Cursor.precedes(path, $0.from) }
        return i < spans.count ? spans[i].from : nil
    }

    func removeAll() { withState { $0 = State() } }
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
