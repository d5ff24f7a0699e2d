import Foundation
import GRDB

extension SQLiteCatalog {
    /// Records the start of a scan: the context, its roots and a `running` scan row.
    public func beginScan(context: ContextDefinition, roots: [PathBytes], started: Instant) throws(CatalogError) -> ScanSession {
        try write { db in
            try db.execute(sql: "INSERT INTO contexts (name, definition_file) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                           arguments: [context.name, context.file])
            let row = try Row.fetchOne(db, sql: "SELECT id, fingerprint FROM contexts WHERE name = ?", arguments: [context.name])!
            let contextId: Int64 = row["id"]
            let fingerprint: String? = row["fingerprint"]
            var rootIds: [Int64] = []
            for r in roots {
                try db.execute(sql: "INSERT INTO roots (context_id, path) VALUES (?, ?) ON CONFLICT DO NOTHING",
                               arguments: [contextId, Data(r)])
                rootIds.append(try Int64.fetchOne(db, sql: "SELECT id FROM roots WHERE context_id = ? AND path = ?",
                                                  arguments: [contextId, Data(r)])!)
            }
            let lastStatus = try String.fetchOne(db, sql: "SELECT status FROM scans WHERE context_id = ? ORDER BY id DESC LIMIT 1",
                                                 arguments: [contextId])
            try db.execute(sql: "INSERT INTO scans (context_id, started, status) VALUES (?, ?, 'running')",
                           arguments: [contextId, started.microseconds])
            return ScanSession(scanId: db.lastInsertedRowID, contextId: contextId, rootIds: rootIds,
                               reclassify: fingerprint != nil && fingerprint != context.fingerprint,
                               finalizeAll: lastStatus == "running" || fingerprint != context.fingerprint,
                               started: started)
        }
    }

    /// The catalogued files of one directory, read without a transaction of its own so
    /// that many workers can look up directories while the writer commits.
    public func catalogedFiles(root: Int64, relative: PathBytes) throws(CatalogError) -> (dirId: Int64?, files: [CatalogedFile]) {
        do {
            return try pool.unsafeRead { db in
                let dirStmt = try db.cachedStatement(sql: "SELECT id FROM dirs WHERE root_id = ? AND path = ?")
                guard let dirId = try Int64.fetchOne(dirStmt, arguments: [root, Data(relative)]) else { return (nil, []) }
                let stmt = try db.cachedStatement(sql: "SELECT id, name, size, mtime, inode, device, state FROM files WHERE dir_id = ?")
                var out: [CatalogedFile] = []
                let rows = try Row.fetchCursor(stmt, arguments: [dirId])
                while let row = try rows.next() {
                    let name: Data = row[1]
                    out.append(CatalogedFile(
                        id: row[0], name: PathBytes(name),
                        stat: FileStat(size: row[2], mtimeNanoseconds: row[3],
                                       inode: UInt64(bitPattern: row[4] as Int64), device: UInt64(bitPattern: row[5] as Int64)),
                        state: FileState(rawValue: row[6]) ?? .live))
                }
                return (dirId, out)
            }
        } catch {
            throw CatalogError(path: path, error)
        }
    }
}

/// The one writer of a scan: applies directory changes in batched transactions and
/// finishes with tombstones, clipped name coverage and dataset unions.
public final class ScanWriter: @unchecked Sendable {  // used by the scan's writer thread only
    let catalog: SQLiteCatalog
    let session: ScanSession
    private var dirIds: [DirKey: Int64] = [:]
    private var streamIds: [StreamKey: Int64] = [:]
    private var datasetIds: [String: Int64] = [:]
    private(set) var visitedDirs = Set<Int64>()
    private var touchedStreams = Set<Int64>()
    private var touchedDatasets = Set<Int64>()

    private struct DirKey: Hashable { var root: Int; var path: PathBytes }
    private struct StreamKey: Hashable { var category: String; var name: String }

    public init(catalog: SQLiteCatalog, session: ScanSession) {
        self.catalog = catalog
        self.session = session
    }

    /// Notes directories seen whole, so that their absence is not taken for deletion.
    public func visited(_ dirId: Int64) { visitedDirs.insert(dirId) }

    /// Writes a batch of directory changes in one transaction.
    public func apply(_ batch: [DirectoryChanges]) throws(CatalogError) {
        try catalog.write { db in
            for changes in batch { try self.apply(changes, db) }
        }
    }

    private func apply(_ c: DirectoryChanges, _ db: Database) throws {
        let gone = session.started.microseconds
        if !c.revived.isEmpty {
            let stmt = try db.cachedStatement(sql: "UPDATE files SET state = 0, gone_at = NULL, gone_scan = NULL WHERE id = ?")
            for id in c.revived { try stmt.execute(arguments: [id]) }
        }
        if !c.missing.isEmpty {
            let stmt = try db.cachedStatement(sql: "UPDATE files SET state = 1, gone_at = ?, gone_scan = ? WHERE id = ? AND state = 0")
            for id in c.missing { try stmt.execute(arguments: [gone, session.scanId, id]) }
        }
        if !c.updates.isEmpty {
            let stmt = try db.cachedStatement(sql: """
                UPDATE files SET size = ?, mtime = ?, inode = ?, device = ?, stream_id = ?, dataset_id = ?,
                       start = ?, "end" = ?, source = ?, state = 0, gone_at = NULL, gone_scan = NULL, error = ?
                WHERE id = ?
                """)
            for (id, f) in c.updates {
                let (streamId, datasetId) = try ids(for: f, db)
                try stmt.execute(arguments: [f.stat.size, f.stat.mtimeNanoseconds, Int64(bitPattern: f.stat.inode),
                                             Int64(bitPattern: f.stat.device), streamId, datasetId,
                                             f.coverage?.start.microseconds, f.coverage?.end.microseconds, f.source.code, f.error, id])
            }
        }
        if !c.inserts.isEmpty {
            let dirId = try c.dirId ?? dirId(root: c.root, relative: c.relative, db)
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO files (dir_id, name, size, mtime, inode, device, stream_id, dataset_id, start, "end", source, error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for f in c.inserts {
                let (streamId, datasetId) = try ids(for: f, db)
                try stmt.execute(arguments: [dirId, Data(f.name), f.stat.size, f.stat.mtimeNanoseconds, Int64(bitPattern: f.stat.inode),
                                             Int64(bitPattern: f.stat.device), streamId, datasetId,
                                             f.coverage?.start.microseconds, f.coverage?.end.microseconds, f.source.code, f.error])
            }
            visitedDirs.insert(dirId)
        }
    }

    private func dirId(root: Int, relative: PathBytes, _ db: Database) throws -> Int64 {
        let key = DirKey(root: root, path: relative)
        if let id = dirIds[key] { return id }
        let rootId = session.rootIds[root]
        try db.execute(sql: "INSERT INTO dirs (root_id, path) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [rootId, Data(relative)])
        let id = try Int64.fetchOne(db, sql: "SELECT id FROM dirs WHERE root_id = ? AND path = ?", arguments: [rootId, Data(relative)])!
        dirIds[key] = id
        return id
    }

    private func ids(for f: ScannedFile, _ db: Database) throws -> (Int64, Int64?) {
        let key = StreamKey(category: f.category, name: f.stream)
        let streamId: Int64
        if let id = streamIds[key] { streamId = id } else {
            try db.execute(sql: "INSERT INTO streams (context_id, category, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           arguments: [session.contextId, f.category, f.stream])
            streamId = try Int64.fetchOne(db, sql: "SELECT id FROM streams WHERE context_id = ? AND category = ? AND name = ?",
                                          arguments: [session.contextId, f.category, f.stream])!
            streamIds[key] = streamId
        }
        if f.source == .name { touchedStreams.insert(streamId) }
        guard let name = f.dataset else { return (streamId, nil) }
        let datasetId: Int64
        if let id = datasetIds[name] { datasetId = id } else {
            try db.execute(sql: "INSERT INTO datasets (context_id, category, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                           arguments: [session.contextId, f.category, name])
            datasetId = try Int64.fetchOne(db, sql: "SELECT id FROM datasets WHERE context_id = ? AND name = ?",
                                           arguments: [session.contextId, name])!
            datasetIds[name] = datasetId
        }
        touchedDatasets.insert(datasetId)
        return (streamId, datasetId)
    }

    /// Completes a walk that reached every directory it could.
    ///
    /// Files in catalogued directories that the walk did not reach become `missing`,
    /// except below directories it could not read (`unreadable`, relative to each root).
    /// Name coverage is clipped to the next file's start in the same stream, and dataset
    /// coverage is recomputed as the union of its members.
    public func finish(report: ScanReport, unreadable: [Int: [PathBytes]], context: ContextDefinition) throws(CatalogError) -> Int {
        try catalog.write { db in
            var missing = 0
            // Directories not visited: whole subtrees removed since the last scan.
            for (rootIndex, rootId) in session.rootIds.enumerated() {
                let failed = unreadable[rootIndex] ?? []
                let rows = try Row.fetchAll(db, sql: "SELECT id, path FROM dirs WHERE root_id = ?", arguments: [rootId])
                for row in rows {
                    let id: Int64 = row[0]
                    guard !visitedDirs.contains(id) else { continue }
                    let path = PathBytes(row[1] as Data)
                    if failed.contains(where: { Self.isSameOrBelow(path, $0) }) { continue }
                    try db.execute(sql: "UPDATE files SET state = 1, gone_at = ?, gone_scan = ? WHERE dir_id = ? AND state = 0",
                                   arguments: [session.started.microseconds, session.scanId, id])
                    missing += db.changesCount
                }
            }
            // Clip name coverage to the next file's start in the same stream (all files,
            // gone ones included: a file's content ended where the next one began).
            let streams: [Int64] = session.finalizeAll
                ? try Int64.fetchAll(db, sql: "SELECT id FROM streams WHERE context_id = ?", arguments: [session.contextId])
                : Array(touchedStreams)
            let clip = try db.makeStatement(sql: """
                UPDATE files SET "end" = nx.next_start
                FROM (SELECT id, min(start) OVER (ORDER BY start RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_start
                      FROM files WHERE stream_id = ? AND source = 1) AS nx
                WHERE files.id = nx.id AND nx.next_start < files."end"
                """)
            for s in streams { try clip.execute(arguments: [s]) }
            // Datasets: the union (hull) of their live members.
            let datasets: [Int64] = session.finalizeAll
                ? try Int64.fetchAll(db, sql: "SELECT id FROM datasets WHERE context_id = ?", arguments: [session.contextId])
                : Array(touchedDatasets)
            let agg = try db.makeStatement(sql: """
                UPDATE datasets SET start = a.s, "end" = a.e, files = a.n, bytes = a.b
                FROM (SELECT min(start) AS s, max("end") AS e, count(*) AS n, coalesce(sum(size), 0) AS b
                      FROM files WHERE dataset_id = ? AND state = 0) AS a
                WHERE datasets.id = ?
                """)
            for d in datasets { try agg.execute(arguments: [d, d]) }
            try db.execute(sql: "UPDATE contexts SET fingerprint = ?, definition_file = ? WHERE id = ?",
                           arguments: [context.fingerprint, context.file, session.contextId])
            return missing
        }
    }

    /// Writes the scan's own record: its counts and the errors met.
    public func record(report: ScanReport, status: String) throws(CatalogError) {
        try catalog.write { db in
            try db.execute(sql: """
                UPDATE scans SET finished = ?, status = ?, files = ?, new = ?, changed = ?, unchanged = ?, missing = ?,
                       revived = ?, errors = ?, bytes = ?, seconds = ? WHERE id = ?
                """, arguments: [Instant(secondsSince1970: Date().timeIntervalSince1970).microseconds, status, report.files, report.new,
                                 report.changed, report.unchanged, report.missing, report.revived, report.errors, report.bytes,
                                 report.seconds, session.scanId])
            let stmt = try db.makeStatement(sql: "INSERT INTO scan_errors (scan_id, path, message) VALUES (?, ?, ?)")
            for e in report.problems.prefix(10_000) {
                try stmt.execute(arguments: [session.scanId, Data(e.path), e.message])
            }
        }
    }

    /// True when `path` is `dir` or lies below it (both relative, or both absolute).
    public static func isSameOrBelow(_ path: PathBytes, _ dir: PathBytes) -> Bool {
        if dir.isEmpty { return true }
        guard path.count >= dir.count, path.starts(with: dir) else { return false }
        return path.count == dir.count || path[dir.count] == UInt8(ascii: "/")
    }
}
