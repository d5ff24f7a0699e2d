import Foundation
import GRDB

extension SQLiteCatalog: ScanStore {
    public func knownRoots() throws(CatalogError) -> [KnownRoot] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT r.id, c.name, r.path, r.device, r.inode FROM roots r JOIN contexts c ON c.id = r.context_id ORDER BY r.id")
                .map { row in
                    KnownRoot(id: row[0], context: row[1], path: PathBytes(row[2] as Data),
                              identity: (row[3] as Int64?).flatMap { d in (row[4] as Int64?).map { RootIdentity(device: UInt64(bitPattern: d), inode: UInt64(bitPattern: $0)) } })
                }
        }
    }

    public func interruptKilledScans(context: String) throws(CatalogError) {
        try write { db in
            try db.execute(sql: """
                UPDATE scans SET status = \(sqlLiteral(ScanStatus.interrupted))
                WHERE status = \(sqlLiteral(ScanStatus.running)) AND context_id = (SELECT id FROM contexts WHERE name = ?)
                """, arguments: [context])
        }
    }

    /// Beside the catalog file, one per context: scans of other contexts may run beside this one.
    public func readingRecordPath(context: String) -> String { path + ".reading-" + ContextDefinition.fnv1a(context) }

    public func makeLookup() throws(CatalogError) -> any DirectoryLookup { try CatalogLookup(path: path) }

    public func makeWriter(_ session: ScanSession) throws(CatalogError) -> any ScanBatchWriter { ScanWriter(catalog: self, session: session) }

    /// Records the start of a scan: the context, its roots (admitted: known ones by their
    /// identity, new ones recorded with it) and a `running` scan row.
    public func beginScan(context: ContextDefinition, roots: [AdmittedRoot], explicit: Bool, started: Instant) throws(CatalogError) -> ScanSession {
        try write { db in
            try db.execute(sql: "INSERT INTO contexts (name, definition_file) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                           arguments: [context.name, context.file])
            let row = try Row.fetchOne(db, sql: "SELECT id, fingerprint FROM contexts WHERE name = ?", arguments: [context.name])!
            let contextId: Int64 = row["id"]
            let fingerprint: String? = row["fingerprint"]
            var rootIds: [Int64] = []
            for r in roots {
                let identity: [any DatabaseValueConvertible] = [Int64(bitPattern: r.probe.identity.device), Int64(bitPattern: r.probe.identity.inode)]
                if let id = r.existingId {
                    try db.execute(sql: "UPDATE roots SET device = ?, inode = ? WHERE id = ?", arguments: StatementArguments(identity + [id]))
                    if r.rename { try db.execute(sql: "UPDATE roots SET path = ? WHERE id = ?", arguments: [Data(r.probe.path), id]) }
                    rootIds.append(id)
                } else {
                    try db.execute(sql: "INSERT INTO roots (context_id, path, device, inode) VALUES (?, ?, ?, ?)",
                                   arguments: StatementArguments([contextId, Data(r.probe.path)] + identity))
                    rootIds.append(db.lastInsertedRowID)
                }
            }
            let lastStatus = try String.fetchOne(db, sql: "SELECT status FROM scans WHERE context_id = ? ORDER BY id DESC LIMIT 1",
                                                 arguments: [contextId])
            try db.execute(sql: "INSERT INTO scans (context_id, started, status, explicit_roots) VALUES (?, ?, \(sqlLiteral(ScanStatus.running)), ?)",
                           arguments: [contextId, started.microseconds, explicit ? 1 : 0])
            return ScanSession(scanId: db.lastInsertedRowID, contextId: contextId, rootIds: rootIds,
                               reclassify: fingerprint != nil && fingerprint != context.fingerprint,
                               // A scan that died or failed left batches without their finish.
                               finalizeAll: lastStatus != ScanStatus.complete.rawValue || fingerprint != context.fingerprint,
                               started: started)
        }
    }

    /// Counts a strike for each file a dead scan was reading, and returns every suspect
    /// with its strikes.
    /// A file that changed since counts from one again.
    public func strikeSuspects(_ inFlight: Set<InFlightRead>) throws(CatalogError) -> [PathBytes: ReadingSuspect] {
        try write { db in
            for f in inFlight {
                try db.execute(sql: """
                    INSERT INTO reading_suspects (path, size, mtime, strikes) VALUES (?1, ?2, ?3, 1)
                    ON CONFLICT (path) DO UPDATE SET
                        strikes = CASE WHEN size = ?2 AND mtime = ?3 THEN strikes + 1 ELSE 1 END, size = ?2, mtime = ?3
                    """, arguments: [Data(f.path), f.size, f.mtimeNanoseconds])
            }
            var out: [PathBytes: ReadingSuspect] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT path, strikes, size, mtime FROM reading_suspects") {
                out[PathBytes(row[0] as Data)] = ReadingSuspect(strikes: row[1], size: row[2], mtime: row[3])
            }
            return out
        }
    }

    /// Forgets suspects whose header was read without the scan dying.
    public func clearSuspects(_ paths: [PathBytes]) throws(CatalogError) {
        guard !paths.isEmpty else { return }
        try write { db in
            for p in paths { try db.execute(sql: "DELETE FROM reading_suspects WHERE path = ?", arguments: [Data(p)]) }
        }
    }
}

/// The one writer of a scan: applies directory changes in batched transactions and
/// finishes with tombstones, clipped name coverage and dataset unions.
final class ScanWriter: ScanBatchWriter, @unchecked Sendable {  // used by the scan's writer thread only
    let catalog: SQLiteCatalog
    let session: ScanSession
    private var dirIds: [DirKey: Int64] = [:]
    private var streamIds: [StreamKey: Int64] = [:]
    private var datasetIds: [String: Int64] = [:]
    private(set) var visitedDirs = Set<Int64>()
    private var touchedStreams = Set<Int64>()
    private var touchedDatasets = Set<Int64>()
    private var longest: [Int64: Int64] = [:]

    private struct DirKey: Hashable { var root: Int; var path: PathBytes }
    private struct StreamKey: Hashable { var category: String; var name: String }

    init(catalog: SQLiteCatalog, session: ScanSession) {
        self.catalog = catalog
        self.session = session
    }

    func visited(_ dirIds: [Int64]) { visitedDirs.formUnion(dirIds) }

    func apply(_ batch: [DirectoryChanges]) throws(CatalogError) {
        try catalog.write { db in
            for changes in batch { try self.apply(changes, db) }
        }
    }

    private func apply(_ c: DirectoryChanges, _ db: Database) throws {
        let gone = session.started.microseconds
        let ids = try c.meanings.map { try self.ids(for: $0, db) }
        if !c.inserts.isEmpty || !c.updates.isEmpty {
            for (stream, dataset) in ids {
                touchedStreams.insert(stream)
                if let dataset { touchedDatasets.insert(dataset) }
            }
        }
        // Rows change only if they are still as the scan read them: a file a policy run
        // removed meanwhile is not made live again by what the scan saw before (see `stillThere`).
        // A file going or coming back changes its stream's coverage runs.
        if !c.revived.isEmpty {
            let stmt = try db.cachedStatement(sql: "UPDATE files SET state = 0, gone_at = NULL, gone_scan = NULL WHERE id = ? AND state = 1 RETURNING stream_id, dataset_id")
            for id in c.revived { touch(try Row.fetchAll(stmt, arguments: [id])) }
        }
        if !c.missing.isEmpty {
            let stmt = try db.cachedStatement(sql: "UPDATE files SET state = 1, gone_at = ?, gone_scan = ? WHERE id = ? AND state = 0 RETURNING stream_id, dataset_id")
            for id in c.missing { touch(try Row.fetchAll(stmt, arguments: [gone, session.scanId, id])) }
        }
        if !c.updates.isEmpty {
            let update = """
                UPDATE files SET size = ?2, mtime = ?3, inode = ?4, device = ?5, stream_id = ?6, dataset_id = ?7,
                       start = ?8, "end" = ?9, source = ?10, state = 0, gone_at = NULL, gone_scan = NULL, error = ?11, notes = ?13,
                       ctime = ?14
                WHERE id = ?1
                """
            let stmt = FastStatement(try db.cachedStatement(sql: update + " AND state = ?15 AND size = ?16 AND mtime = ?17 AND inode = ?18 AND device = ?19"))
            var moved: [(was: CatalogedFile, file: ScannedFile)] = []
            for (was, f) in c.updates {
                stmt.bind(1, was.id)
                try bindFile(f, ids[f.meaning], stmt, db)
                stmt.bind(15, Int64(was.state.rawValue))
                stmt.bind(16, was.stat.size)
                stmt.bind(17, was.stat.mtimeNanoseconds)
                stmt.bind(18, Int64(bitPattern: was.stat.inode))
                stmt.bind(19, Int64(bitPattern: was.stat.device))
                try stmt.execute()
                if db.changesCount == 0 { moved.append((was, f)) }
            }
            if !moved.isEmpty {
                let stmt = FastStatement(try db.cachedStatement(sql: update))
                for (was, f) in moved where try stillThere(f, in: c, db) {
                    stmt.bind(1, was.id)
                    try bindFile(f, ids[f.meaning], stmt, db)
                    try stmt.execute()
                }
            }
        }
        if !c.inserts.isEmpty {
            let dirId = try c.dirId ?? dirId(root: c.root, relative: c.relative, db)
            let stmt = FastStatement(try db.cachedStatement(sql: """
                INSERT INTO files (dir_id, size, mtime, inode, device, stream_id, dataset_id, start, "end", source, error, name, notes, ctime)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                """))
            for f in c.inserts {
                stmt.bind(1, dirId)
                stmt.bind(12, blob: f.name)
                try bindFile(f, ids[f.meaning], stmt, db)
                try stmt.execute()
            }
            visitedDirs.insert(dirId)
        }
    }

    /// True when the file the scan saw is on disk now, as it saw it: a row that changed
    /// since the scan read it (a policy run removed the file) is then rightly made live,
    /// for the file is there anew.
    private func stillThere(_ f: ScannedFile, in c: DirectoryChanges, _ db: Database) throws -> Bool {
        guard let root = try Data.fetchOne(db, sql: "SELECT path FROM roots WHERE id = ?", arguments: [session.rootIds[c.root]]) else { return false }
        let path = PathBytes(root).appendingComponent(c.relative).appendingComponent(f.name)
        var st = stat()
        guard path.withCString({ stat($0, &st) }) == 0 else { return false }
        return FileStat(st) == f.stat
    }

    /// Binds parameters 2…11, 13 and 14, shared by the insert and the update.
    private func bindFile(_ f: ScannedFile, _ ids: (stream: Int64, dataset: Int64?), _ stmt: FastStatement, _ db: Database) throws {
        let (streamId, datasetId) = ids
        // Raise the stream's length bound at once, so overlap queries stay right even if
        // the scan dies before its finish recomputes the bound.
        if let c = f.coverage, c.end.microseconds - c.start.microseconds > (longest[streamId] ?? 0) {
            longest[streamId] = c.end.microseconds - c.start.microseconds
            try db.cachedStatement(sql: "UPDATE streams SET max_duration = max(max_duration, ?) WHERE id = ?")
                .execute(arguments: [longest[streamId]!, streamId])
        }
        stmt.bind(2, f.stat.size)
        stmt.bind(3, f.stat.mtimeNanoseconds)
        stmt.bind(4, Int64(bitPattern: f.stat.inode))
        stmt.bind(5, Int64(bitPattern: f.stat.device))
        stmt.bind(6, streamId)
        stmt.bind(7, datasetId)
        stmt.bind(8, f.coverage?.start.microseconds)
        stmt.bind(9, f.coverage?.end.microseconds)
        stmt.bind(10, Int64(f.source.code))
        stmt.bind(11, f.error)
        stmt.bind(13, f.notes)
        stmt.bind(14, f.stat.ctimeNanoseconds)
    }

    /// Notes the streams and datasets of files that went or came back (`RETURNING` rows).
    private func touch(_ rows: [Row]) {
        for r in rows {
            touchedStreams.insert(r[0])
            if let d: Int64 = r[1] { touchedDatasets.insert(d) }
        }
    }

    private func dirId(root: Int, relative: PathBytes, _ db: Database) throws -> Int64 {
        let key = DirKey(root: root, path: relative)
        if let id = dirIds[key] { return id }
        let rootId = session.rootIds[root]
        let insert = FastStatement(try db.cachedStatement(sql: "INSERT INTO dirs (root_id, path) VALUES (?1, ?2) ON CONFLICT DO NOTHING"))
        insert.bind(1, rootId)
        insert.bind(2, blob: relative)
        let id = try insertedId(insert, db) ?? Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM dirs WHERE root_id = ? AND path = ?"),
                                                             arguments: [rootId, Data(relative)])!
        dirIds[key] = id
        return id
    }

    /// The stream and dataset rows of a meaning, created when first seen.
    private func ids(for m: Meaning, _ db: Database) throws -> (stream: Int64, dataset: Int64?) {
        let key = StreamKey(category: m.category, name: m.stream)
        let streamId: Int64
        if let id = streamIds[key] { streamId = id } else {
            let insert = FastStatement(try db.cachedStatement(sql: "INSERT INTO streams (context_id, category, name) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING"))
            insert.bind(1, session.contextId)
            insert.bind(2, m.category)
            insert.bind(3, m.stream)
            streamId = try insertedId(insert, db)
                ?? Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM streams WHERE context_id = ? AND category = ? AND name = ?"),
                                  arguments: [session.contextId, m.category, m.stream])!
            streamIds[key] = streamId
        }
        guard let name = m.dataset else { return (streamId, nil) }
        if let id = datasetIds[name] { return (streamId, id) }
        let insert = FastStatement(try db.cachedStatement(sql: "INSERT INTO datasets (context_id, category, name) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING"))
        insert.bind(1, session.contextId)
        insert.bind(2, m.category)
        insert.bind(3, name)
        let datasetId = try insertedId(insert, db)
            ?? Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM datasets WHERE context_id = ? AND name = ?"),
                              arguments: [session.contextId, name])!
        datasetIds[name] = datasetId
        return (streamId, datasetId)
    }

    /// Runs an `INSERT … ON CONFLICT DO NOTHING`: the new row's id, or nil when the row was
    /// there already (only then is it looked up).
    private func insertedId(_ insert: FastStatement, _ db: Database) throws -> Int64? {
        try insert.execute()
        return db.changesCount == 1 ? db.lastInsertedRowID : nil
    }

    /// Completes a walk that reached every directory it could; `readers` threads read the
    /// streams to finish.
    ///
    /// Files in catalogued directories that the walk did not reach become `missing`,
    /// except below directories it could not read (`unreadable`, relative to each root).
    /// Name coverage is clipped to the next file's start in the same stream, and dataset
    /// coverage is recomputed as the union of its members. `missing` hears of each file so
    /// marked (root index, path relative to the root).
    func finish(report: ScanReport, unreadable: [Int: [PathBytes]], context: ContextDefinition, readers: Int,
                missing onMissing: ((Int, PathBytes) -> Void)?) throws(CatalogError) -> Int {
        // Committed before the streams are read on other connections; a scan that dies
        // in between leaves its record `running`, and the next one finishes every stream.
        let missing = try catalog.write { db in
            var missing = 0
            // Directories not visited: whole subtrees removed since the last scan.
            for (rootIndex, rootId) in session.rootIds.enumerated() {
                let failed = unreadable[rootIndex] ?? []
                // Read through a cursor: only the directories not visited are held.
                let dirs = FastStatement(try db.makeStatement(sql: "SELECT id, path FROM dirs WHERE root_id = ?1"))
                dirs.bind(1, rootId)
                var unvisited: [(id: Int64, path: PathBytes)] = []
                try dirs.forEachRow { row in
                    if !visitedDirs.contains(row.int64(0)) { unvisited.append((row.int64(0), row.blob(1))) }
                }
                for (id, path) in unvisited {
                    if failed.contains(where: { PathBytes.isSameOrBelow(path, $0) }) { continue }
                    let rows = try Row.fetchAll(db, sql: "UPDATE files SET state = 1, gone_at = ?, gone_scan = ? WHERE dir_id = ? AND state = 0 RETURNING stream_id, dataset_id, name",
                                                arguments: [session.started.microseconds, session.scanId, id])
                    missing += rows.count
                    for r in rows { onMissing?(rootIndex, path.appendingComponent(PathBytes(r[2] as Data))) }
                    touch(rows)
                }
            }
            return missing
        }
        try catalog.write { db in
            // Clipped name coverage, coverage runs and length bounds of the streams touched,
            // read on other threads while this one writes.
            let streams = session.finalizeAll
                ? Set(try Int64.fetchAll(db, sql: "SELECT id FROM streams WHERE context_id = ?", arguments: [session.contextId]))
                : touchedStreams
            try StreamFinisher.finish(streams: streams.sorted(), readingFrom: catalog.path, threads: readers, db: db)
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS touched (id INTEGER PRIMARY KEY)")
            // Datasets: the union (hull) of their live members.
            try fillTouched(session.finalizeAll ? nil : touchedDatasets, all: "SELECT id FROM datasets WHERE context_id = ?", db)
            try db.execute(sql: """
                UPDATE datasets SET start = NULL, "end" = NULL, files = 0, bytes = 0 WHERE id IN (SELECT id FROM temp.touched);
                UPDATE datasets SET start = a.s, "end" = a.e, files = a.n, bytes = a.b
                FROM (SELECT dataset_id, min(start) AS s, max("end") AS e, count(*) AS n, sum(size) AS b
                      FROM files WHERE dataset_id IN (SELECT id FROM temp.touched) AND state = 0 GROUP BY dataset_id) AS a
                WHERE datasets.id = a.dataset_id;
                DELETE FROM temp.touched;
                """)
            try db.execute(sql: "UPDATE contexts SET fingerprint = ?, definition_file = ? WHERE id = ?",
                           arguments: [context.fingerprint, context.file, session.contextId])
        }
        return missing
    }

    /// Puts `ids` (or every id the `all` query gives for the context) in `temp.touched`.
    private func fillTouched(_ ids: Set<Int64>?, all: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM temp.touched")
        if let ids {
            let stmt = try db.cachedStatement(sql: "INSERT INTO temp.touched (id) VALUES (?)")
            for id in ids { try stmt.execute(arguments: [id]) }
        } else {
            try db.execute(sql: "INSERT INTO temp.touched (id) " + all, arguments: [session.contextId])
        }
    }

    /// Writes the scan's own record: its counts and the errors met.
    func record(report: ScanReport, status: ScanStatus) throws(CatalogError) {
        try catalog.write { db in
            try db.execute(sql: """
                UPDATE scans SET finished = ?, status = ?, files = ?, new = ?, changed = ?, unchanged = ?, missing = ?,
                       revived = ?, errors = ?, bytes = ?, seconds = ? WHERE id = ?
                """, arguments: [Instant(secondsSince1970: Date().timeIntervalSince1970).microseconds, status.rawValue, report.files, report.new,
                                 report.changed, report.unchanged, report.missing, report.revived, report.errors, report.bytes,
                                 report.seconds, session.scanId])
            // The roots a complete scan walked: those of its latest are current (see RootStates).
            if status == .complete {
                try db.execute(sql: "UPDATE roots SET last_scan = ? WHERE id IN (\(session.rootIds.map(String.init).joined(separator: ",")))",
                               arguments: [session.scanId])
            }
            let stmt = try db.makeStatement(sql: "INSERT INTO scan_errors (scan_id, path, message) VALUES (?, ?, ?)")
            for e in report.problems.prefix(10_000) {
                try stmt.execute(arguments: [session.scanId, Data(e.path), e.message])
            }
        }
    }

}
