import Foundation
import NIOCore
import PostgresNIO
import TidemarkCore

/// The one writer of a scan into PostgreSQL. Each batch is one transaction of a few
/// set-based statements, whatever its size: state changes by id arrays, changed files through
/// a `COPY` into a temporary table, new files by a straight `COPY` (the walker saw they are
/// not there, and no other scanner writes this context's directories). The batch's new
/// parents (streams, datasets, directories) are inserted and read back by arrays just before,
/// on the catalog's own session, committed at once: so while one batch's COPY runs on the
/// server, the next batch's parents are resolved and its rows encoded. Batches alternate
/// between two sessions, so that the server runs two batches' COPYs at once, on two cores,
/// rather than one behind the walk. (Parents before their files, as the references that "v15:
/// files' references kept by the writer" stopped checking ask; a scan that dies between the
/// two leaves parents without files, which harm nothing.)
final class PostgresScanWriter: ScanBatchWriter, @unchecked Sendable {  // the scan's writer thread only
    private let store: PostgresScanStore
    /// Where parents and stream bounds are written (the catalog's own session, idle during a walk).
    private let parents: PostgresSession
    /// The sessions batches alternate on, each with its last batch's COPY and COMMIT while the
    /// server runs them, and whether it has made its staging table for changed files.
    private var lanes: [(session: PostgresSession, underWay: CopyUnderWay?, staging: Bool)]
    private var lane = 0
    /// The session of the batch being written; outside a batch, the first.
    private var db: PostgresSession { lanes[lane].session }
    private let session: ScanSession
    private var dirIds: [DirKey: Int64] = [:]
    private var streamIds: [StreamKey: Int64] = [:]
    private var datasetIds: [String: Int64] = [:]
    private var visitedDirs = Set<Int64>()
    private var touchedStreams = Set<Int64>()
    private var touchedDatasets = Set<Int64>()
    private var longest: [Int64: Int64] = [:]
    /// The catalog's rows per fetch, from which the stream finisher sizes its pages.
    private let rowsPerFetch: Int

    private struct DirKey: Hashable { var root: Int; var path: PathBytes }
    private struct StreamKey: Hashable { var category: String; var name: String }

    init(store: PostgresScanStore, connections: [PostgresSession], session: ScanSession) {
        self.store = store
        lanes = connections.map { ($0, nil, false) }
        self.parents = store.catalog.session
        self.session = session
        rowsPerFetch = store.catalog.rowsPerFetch
    }

    func visited(_ dirIds: [Int64]) { visitedDirs.formUnion(dirIds) }

    func apply(_ batch: [DirectoryChanges]) throws(CatalogError) {
        try resolveParents(batch)
        try raiseBounds(batch)
        let inserts = encodeInserts(batch)
        // The lane whose COPY went first.
        lane = (lane + 1) % lanes.count
        try settle(lane)
        try db.execute("BEGIN")
        do throws(CatalogError) {
            let revived = batch.flatMap(\.revived), missing = batch.flatMap(\.missing)
            if !revived.isEmpty {
                touch(try db.rows("""
                    UPDATE files SET state = 0, gone_at = NULL, gone_scan = NULL WHERE id = ANY(\(revived)) AND state = 1
                    RETURNING stream_id, dataset_id
                    """))
            }
            if !missing.isEmpty {
                touch(try db.rows("""
                    UPDATE files SET state = 1, gone_at = \(session.started.microseconds), gone_scan = \(session.scanId)
                    WHERE id = ANY(\(missing)) AND state = 0 RETURNING stream_id, dataset_id
                    """))
            }
            try writeUpdates(batch)
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        if inserts.isEmpty { try db.execute("COMMIT") } else {
            lanes[lane].underWay = db.startCopy(into: "files", columns: ["dir_id", "name"] + Self.fileColumns, inserts.buffer, thenCommit: true)
        }
    }

    /// Waits for a lane's last COPY and COMMIT; throws what failed there.
    private func settle(_ lane: Int) throws(CatalogError) {
        guard let copy = lanes[lane].underWay else { return }
        lanes[lane].underWay = nil
        try copy.wait()
    }

    /// Waits for every lane's (each, whatever failed in another), then works on the first;
    /// throws the first failure.
    private func settle() throws(CatalogError) {
        var failure: CatalogError?
        for i in lanes.indices {
            do { try settle(i) } catch { failure = failure ?? error }
        }
        lane = 0
        if let failure { throw failure }
    }

    // MARK: - Parents

    /// Gives every meaning and every directory with new files an id, creating the rows not
    /// there yet: one insert and one read per kind and batch.
    private func resolveParents(_ batch: [DirectoryChanges]) throws(CatalogError) {
        var streams: [StreamKey] = [], datasets: [(category: String, name: String)] = [], dirs: [DirKey] = []
        var seenStreams = Set<StreamKey>(), seenDatasets = Set<String>(), seenDirs = Set<DirKey>()
        for c in batch {
            for m in c.meanings {
                let key = StreamKey(category: m.category, name: m.stream)
                if streamIds[key] == nil, seenStreams.insert(key).inserted { streams.append(key) }
                if let d = m.dataset, datasetIds[d] == nil, seenDatasets.insert(d).inserted { datasets.append((m.category, d)) }
            }
            if !c.inserts.isEmpty, c.dirId == nil {
                let key = DirKey(root: c.root, path: c.relative)
                if dirIds[key] == nil, seenDirs.insert(key).inserted { dirs.append(key) }
            }
        }
        let context = session.contextId
        if !streams.isEmpty {
            let categories = streams.map(\.category), names = streams.map(\.name)
            try parents.execute("""
                INSERT INTO streams (context_id, category, name) SELECT \(context), c, n FROM unnest(\(categories)::text[], \(names)::text[]) AS v(c, n)
                ON CONFLICT DO NOTHING
                """)
            for row in try parents.rows("""
                SELECT s.id, s.category, s.name FROM streams s JOIN unnest(\(categories)::text[], \(names)::text[]) AS v(c, n)
                ON s.context_id = \(context) AND s.category = v.c AND s.name = v.n
                """) {
                let c = Array(row)
                streamIds[StreamKey(category: c[1].string ?? "", name: c[2].string ?? "")] = c[0].int64
            }
        }
        if !datasets.isEmpty {
            let categories = datasets.map(\.category), names = datasets.map(\.name)
            try parents.execute("""
                INSERT INTO datasets (context_id, category, name) SELECT \(context), c, n FROM unnest(\(categories)::text[], \(names)::text[]) AS v(c, n)
                ON CONFLICT DO NOTHING
                """)
            for row in try parents.rows("SELECT id, name FROM datasets WHERE context_id = \(context) AND name = ANY(\(names)::text[])") {
                let c = Array(row)
                datasetIds[c[1].string ?? ""] = c[0].int64
            }
        }
        if !dirs.isEmpty {
            let roots = dirs.map { session.rootIds[$0.root] }, paths = dirs.map { ByteBuffer(path: $0.path) }
            try parents.execute("""
                INSERT INTO dirs (root_id, path) SELECT r, p FROM unnest(\(roots)::bigint[], \(paths)::bytea[]) AS v(r, p) ON CONFLICT DO NOTHING
                """)
            let index = Dictionary(session.rootIds.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            for row in try parents.rows("""
                SELECT d.id, d.root_id, d.path FROM dirs d JOIN unnest(\(roots)::bigint[], \(paths)::bytea[]) AS v(r, p) ON d.root_id = v.r AND d.path = v.p
                """) {
                let c = Array(row)
                if let root = index[c[1].int64] { dirIds[DirKey(root: root, path: c[2].byteArray)] = c[0].int64 }
            }
        }
        for c in batch where !c.inserts.isEmpty || !c.updates.isEmpty {
            for m in c.meanings {
                touchedStreams.insert(streamIds[StreamKey(category: m.category, name: m.stream)]!)
                if let d = m.dataset { touchedDatasets.insert(datasetIds[d]!) }
            }
        }
    }

    private func ids(_ m: Meaning) -> (stream: Int64, dataset: Int64?) {
        (streamIds[StreamKey(category: m.category, name: m.stream)]!, m.dataset.map { datasetIds[$0]! })
    }

    /// Notes the streams and datasets of files that went or came back (`RETURNING` rows).
    private func touch(_ rows: [PostgresRow]) {
        for row in rows {
            let c = Array(row)
            touchedStreams.insert(c[0].int64)
            if let d = c[1].optionalInt { touchedDatasets.insert(d) }
        }
    }

    // MARK: - Files

    private static let fileColumns = ["size", "mtime", "inode", "device", "stream_id", "dataset_id", "start", "end", "source", "error", "notes", "ctime"]

    /// The columns every written file shares, in `fileColumns` order.
    private func encode(_ f: ScannedFile, _ ids: (stream: Int64, dataset: Int64?), into out: inout CopyText) {
        let (stream, dataset) = ids
        out.int(f.stat.size)
        out.int(f.stat.mtimeNanoseconds)
        out.int(Int64(bitPattern: f.stat.inode))
        out.int(Int64(bitPattern: f.stat.device))
        out.int(stream)
        out.int(dataset)
        out.int(f.coverage?.start.microseconds)
        out.int(f.coverage?.end.microseconds)
        out.int(Int64(f.source.code))
        out.text(f.error)
        out.text(f.notes)
        out.int(f.stat.ctimeNanoseconds)
    }

    /// The batch's new files as COPY rows.
    private func encodeInserts(_ batch: [DirectoryChanges]) -> CopyText {
        var out = CopyText()
        for c in batch where !c.inserts.isEmpty {
            let dir = c.dirId ?? dirIds[DirKey(root: c.root, path: c.relative)]!
            visitedDirs.insert(dir)
            let meanings = c.meanings.map(ids)  // a directory has few: not two lookups a file
            for f in c.inserts {
                out.int(dir)
                out.bytes(f.name)
                encode(f, meanings[f.meaning], into: &out)
                out.endRow()
            }
        }
        return out
    }

    /// Changed files: written only where the row is still as the scan read it (a file a policy
    /// run removed meanwhile is not made live again by what the scan saw before), unless the
    /// file is on disk now as the scan saw it.
    private func writeUpdates(_ batch: [DirectoryChanges]) throws(CatalogError) {
        guard batch.contains(where: { !$0.updates.isEmpty }) else { return }
        if !lanes[lane].staging {
            try db.execute("""
                CREATE TEMP TABLE scan_updates (id bigint, was_state integer, was_size bigint, was_mtime bigint, was_inode bigint, was_device bigint,
                    size bigint, mtime bigint, inode bigint, device bigint, stream_id bigint, dataset_id bigint, start bigint, "end" bigint,
                    source integer, error text, notes text, ctime bigint) ON COMMIT DELETE ROWS
                """)
            lanes[lane].staging = true
        }
        var out = CopyText()
        var byId: [Int64: (file: ScannedFile, changes: DirectoryChanges)] = [:]
        for c in batch where !c.updates.isEmpty {
            let meanings = c.meanings.map(ids)
            for (was, f) in c.updates {
                out.int(was.id)
                out.int(Int64(was.state.rawValue))
                out.int(was.stat.size)
                out.int(was.stat.mtimeNanoseconds)
                out.int(Int64(bitPattern: was.stat.inode))
                out.int(Int64(bitPattern: was.stat.device))
                encode(f, meanings[f.meaning], into: &out)
                out.endRow()
                byId[was.id] = (f, c)
            }
        }
        try db.copy(into: "scan_updates", columns: ["id", "was_state", "was_size", "was_mtime", "was_inode", "was_device"] + Self.fileColumns, out.buffer)
        let set = """
            size = u.size, mtime = u.mtime, inode = u.inode, device = u.device, stream_id = u.stream_id, dataset_id = u.dataset_id,
            start = u.start, "end" = u."end", source = u.source, state = 0, gone_at = NULL, gone_scan = NULL, error = u.error,
            notes = u.notes, ctime = u.ctime
            """
        let written = try db.rows("""
            UPDATE files f SET \(unescaped: set) FROM scan_updates u
            WHERE f.id = u.id AND f.state = u.was_state AND f.size = u.was_size AND f.mtime = u.was_mtime
              AND f.inode = u.was_inode AND f.device = u.was_device
            RETURNING f.id
            """)
        for row in written { byId[Array(row)[0].int64] = nil }
        var again: [Int64] = []
        for (id, moved) in byId where try stillThere(moved.file, in: moved.changes) { again.append(id) }
        if !again.isEmpty {
            try db.execute("UPDATE files f SET \(unescaped: set) FROM scan_updates u WHERE f.id = u.id AND f.id = ANY(\(again))")
        }
    }

    /// True when the file the scan saw is on disk now, as it saw it.
    private func stillThere(_ f: ScannedFile, in c: DirectoryChanges) throws(CatalogError) -> Bool {
        guard let row = try db.rows("SELECT path FROM roots WHERE id = \(session.rootIds[c.root])").first else { return false }
        let path = Array(row)[0].byteArray.appendingComponent(c.relative).appendingComponent(f.name)
        return (try? FileStat.of(path: path)) == f.stat
    }

    /// Raises the streams' length bounds at once, so overlap queries stay right even if the
    /// scan dies before its finish recomputes them.
    private func raiseBounds(_ batch: [DirectoryChanges]) throws(CatalogError) {
        var raised: [Int64: Int64] = [:]
        for c in batch {
            for f in c.inserts + c.updates.map(\.file) {
                guard let cov = f.coverage else { continue }
                let stream = ids(c.meanings[f.meaning]).stream
                let length = cov.end.microseconds - cov.start.microseconds
                if length > (longest[stream] ?? 0) {
                    longest[stream] = length
                    raised[stream] = length
                }
            }
        }
        guard !raised.isEmpty else { return }
        let ids = Array(raised.keys), lengths = ids.map { raised[$0]! }
        try parents.execute("""
            UPDATE streams s SET max_duration = greatest(s.max_duration, v.d) FROM unnest(\(ids)::bigint[], \(lengths)::bigint[]) AS v(id, d)
            WHERE s.id = v.id
            """)
    }

    // MARK: - Finish

    func finish(report: ScanReport, unreadable: [Int: [PathBytes]], context: ContextDefinition, readers: Int,
                missing onMissing: ((Int, PathBytes) -> Void)?) throws(CatalogError) -> Int {
        do { try settle() } catch {
            try? record(report: report, status: .failed)
            throw error
        }
        // Committed first, as on SQLite: a scan that dies after it leaves its record
        // `running`, and the next one finishes every stream.
        let missing = try db.transaction { () throws(CatalogError) -> Int in
            var missing = 0
            for (rootIndex, rootId) in session.rootIds.enumerated() {
                let failed = unreadable[rootIndex] ?? []
                var unvisited: [Int64: PathBytes] = [:]
                for row in try db.rows("SELECT id, path FROM dirs WHERE root_id = \(rootId)") {
                    let c = Array(row)
                    let id = c[0].int64
                    guard !visitedDirs.contains(id) else { continue }
                    let path = c[1].byteArray
                    if failed.contains(where: { PathBytes.isSameOrBelow(path, $0) }) { continue }
                    unvisited[id] = path
                }
                guard !unvisited.isEmpty else { continue }
                let rows = try db.rows("""
                    UPDATE files SET state = 1, gone_at = \(session.started.microseconds), gone_scan = \(session.scanId)
                    WHERE dir_id = ANY(\(Array(unvisited.keys))) AND state = 0 RETURNING stream_id, dataset_id, dir_id, name
                    """)
                missing += rows.count
                touch(rows)
                if let onMissing {
                    for row in rows {
                        let c = Array(row)
                        onMissing(rootIndex, unvisited[c[2].int64]!.appendingComponent(c[3].byteArray))
                    }
                }
            }
            return missing
        }
        try db.transaction { () throws(CatalogError) in
            let streams: [Int64] = session.finalizeAll
                ? try db.rows("SELECT id FROM streams WHERE context_id = \(session.contextId) ORDER BY id").map { Array($0)[0].int64 }
                : touchedStreams.sorted()
            // The walkers' connections read the streams; nothing in this transaction changed their files.
            let sessions = store.takeParked(readers)
            defer { sessions.forEach(store.park) }
            try db.finishStreams(streams, rowsPerFetch: rowsPerFetch, readers: sessions)
            let datasets: [Int64] = session.finalizeAll
                ? try db.rows("SELECT id FROM datasets WHERE context_id = \(session.contextId)").map { Array($0)[0].int64 }
                : Array(touchedDatasets)
            if !datasets.isEmpty {
                // Datasets: the union (hull) of their live members (none: no coverage, 0 files),
                // each row written once.
                try db.execute("""
                    UPDATE datasets d SET start = a.s, "end" = a.e, files = a.n, bytes = a.b
                    FROM (SELECT x.id, min(f.start) AS s, max(f."end") AS e, count(f.id) AS n, coalesce(sum(f.size), 0) AS b
                          FROM unnest(\(datasets)::bigint[]) AS x(id) LEFT JOIN files f ON f.dataset_id = x.id AND f.state = 0
                          GROUP BY x.id) AS a
                    WHERE d.id = a.id
                    """)
            }
            try db.execute("UPDATE contexts SET fingerprint = \(context.fingerprint), definition_file = \(context.file) WHERE id = \(session.contextId)")
        }
        return missing
    }

    func record(report: ScanReport, status: ScanStatus) throws(CatalogError) {
        // A failed scan is recorded whatever its last batch did (a failure there is the scan's).
        if status == .failed { try? settle() } else { try settle() }
        try db.transaction { () throws(CatalogError) in
            try db.execute("""
                UPDATE scans SET finished = \(Instant(secondsSince1970: Date().timeIntervalSince1970).microseconds), status = \(status.rawValue),
                       files = \(Int64(report.files)), "new" = \(Int64(report.new)), changed = \(Int64(report.changed)),
                       unchanged = \(Int64(report.unchanged)), missing = \(Int64(report.missing)), revived = \(Int64(report.revived)),
                       errors = \(Int64(report.errors)), bytes = \(report.bytes), seconds = \(report.seconds)
                WHERE id = \(session.scanId)
                """)
            // The roots a complete scan walked: those of its latest are current (see RootStates).
            if status == .complete {
                try db.execute("UPDATE roots SET last_scan = \(session.scanId) WHERE id = ANY(\(session.rootIds))")
            }
            var errors = CopyText()
            for e in report.problems.prefix(10_000) {
                errors.int(session.scanId); errors.bytes(e.path); errors.text(e.message)
                errors.endRow()
            }
            if !errors.isEmpty { try db.copy(into: "scan_errors", columns: ["scan_id", "path", "message"], errors.buffer) }
        }
    }
}
