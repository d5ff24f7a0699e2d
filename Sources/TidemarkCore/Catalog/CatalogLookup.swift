import Foundation
import GRDB
internal import GRDBSQLite

/// One walker thread's read-only connection to the catalog, with its directory lookup
/// prepared once.
///
/// A rescan looks up every directory; through the GRDB pool each lookup checked a reader
/// out (queue hops, semaphores) and re-read `PRAGMA schema_version` — half the lookup's
/// cost. A plain connection per thread does neither. It reads without a transaction of its
/// own, so the writer commits while walkers look up; only its own thread uses it.
final class CatalogLookup {
    private var db: OpaquePointer?
    private var statement: OpaquePointer?
    let path: String
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The directory's id on every row (one row when it has no files), then its files by name.
    private static let sql = """
        SELECT d.id, f.id, f.name, f.size, f.mtime, f.inode, f.device, f.state, f.ctime
        FROM dirs d LEFT JOIN files f ON f.dir_id = d.id WHERE d.root_id = ?1 AND d.path = ?2 ORDER BY f.name
        """

    init(path: String) throws(CatalogError) {
        self.path = path
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else { throw failure(rc) }
        sqlite3_busy_timeout(db, 30_000)
        let prepared = sqlite3_prepare_v3(db, Self.sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard prepared == SQLITE_OK else { throw failure(prepared) }
    }

    deinit {
        sqlite3_finalize(statement)
        sqlite3_close_v2(db)
    }

    private func failure(_ rc: Int32) -> CatalogError {
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return CatalogError(path: path, DatabaseError(resultCode: ResultCode(rawValue: rc), message: message))
    }

    /// Runs `body` with a cursor over one directory's catalogued files, in name order.
    func directory<T>(root: Int64, relative: PathBytes, _ body: (inout Cursor) throws(CatalogError) -> T) throws(CatalogError) -> T {
        defer { sqlite3_reset(statement) }
        sqlite3_bind_int64(statement, 1, root)
        _ = relative.withUnsafeBytes { p in
            sqlite3_bind_blob(statement, 2, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(p.count), Self.transient)
        }
        var cursor = Cursor(statement: statement!, lookup: self)
        try cursor.step()
        cursor.dirId = cursor.onRow ? sqlite3_column_int64(statement, 0) : nil
        if cursor.onRow && sqlite3_column_type(statement, 1) == SQLITE_NULL { cursor.onRow = false }
        return try body(&cursor)
    }

    /// The files of one directory as the catalog holds them, read in place, one at a time.
    struct Cursor {
        fileprivate let statement: OpaquePointer
        fileprivate let lookup: CatalogLookup
        /// The directory's row, nil when the catalog does not know it.
        fileprivate(set) var dirId: Int64?
        /// False once every file was passed.
        fileprivate(set) var onRow = false

        fileprivate mutating func step() throws(CatalogError) {
            let rc = sqlite3_step(statement)
            guard rc == SQLITE_ROW || rc == SQLITE_DONE else { throw lookup.failure(rc) }
            onRow = rc == SQLITE_ROW
        }

        /// Moves to the next file.
        mutating func advance() throws(CatalogError) { try step() }

        /// The current file's name compared with `name`: negative when it sorts first (as
        /// SQLite orders blobs: bytes, then length).
        func compareName(_ name: PathBytes) -> Int {
            let n = Int(sqlite3_column_bytes(statement, 2))
            let p = sqlite3_column_blob(statement, 2)
            return name.withUnsafeBytes { q in
                let common = min(n, q.count)
                let c = common == 0 ? 0 : memcmp(p!, q.baseAddress!, common)
                return c != 0 ? Int(c) : n - q.count
            }
        }

        var id: Int64 { sqlite3_column_int64(statement, 1) }
        var state: FileState { FileState(rawValue: Int(sqlite3_column_int64(statement, 7))) ?? .live }

        /// Same file, same content as far as metadata can tell (see `CatalogedFile.isUnchanged`).
        func isUnchanged(_ s: FileStat) -> Bool {
            sqlite3_column_int64(statement, 3) == s.size && sqlite3_column_int64(statement, 4) == s.mtimeNanoseconds
                && UInt64(bitPattern: sqlite3_column_int64(statement, 5)) == s.inode
                && UInt64(bitPattern: sqlite3_column_int64(statement, 6)) == s.device
                && sqlite3_column_int64(statement, 8) == s.ctimeNanoseconds
        }

        var name: PathBytes {
            let n = Int(sqlite3_column_bytes(statement, 2))
            guard n > 0, let p = sqlite3_column_blob(statement, 2) else { return [] }
            return PathBytes(UnsafeRawBufferPointer(start: p, count: n))
        }

        /// The current file, copied out.
        var file: CatalogedFile {
            CatalogedFile(
                id: id, name: name,
                stat: FileStat(size: sqlite3_column_int64(statement, 3), mtimeNanoseconds: sqlite3_column_int64(statement, 4),
                               inode: UInt64(bitPattern: sqlite3_column_int64(statement, 5)),
                               device: UInt64(bitPattern: sqlite3_column_int64(statement, 6)),
                               ctimeNanoseconds: sqlite3_column_int64(statement, 8)),
                state: state)
        }
    }
}
