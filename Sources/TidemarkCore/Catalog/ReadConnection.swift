import Foundation
import GRDB
internal import GRDBSQLite

/// A plain read-only sqlite3 connection to the catalog, for one thread's hot reads.
///
/// Through the GRDB pool each read checks a reader out (queue hops, semaphores) and reads
/// `PRAGMA schema_version` again: on a per-directory path that is half the cost. This
/// connection does neither. Statements run without a transaction of their own, so the
/// scan's writer commits while they read. One thread uses it at a time.
final class ReadConnection {
    fileprivate var db: OpaquePointer?
    let path: String

    /// Opens `path` (or the `file:` URI `uri`, as a read-only pool may be opened: `immutableURI`).
    init(path: String, uri: String? = nil) throws(CatalogError) {
        self.path = path
        let rc = sqlite3_open_v2(uri ?? path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | (uri == nil ? 0 : SQLITE_OPEN_URI), nil)
        guard rc == SQLITE_OK else { throw failure(rc) }
        sqlite3_busy_timeout(db, 30_000)
    }

    deinit { sqlite3_close_v2(db) }

    /// Runs SQL that returns no rows (a pragma).
    func execute(_ sql: String) throws(CatalogError) {
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure(rc) }
    }

    /// The error of a failed call, said as the catalog's other errors are.
    func failure(_ rc: Int32) -> CatalogError {
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return CatalogError(path: path, DatabaseError(resultCode: ResultCode(rawValue: rc), message: message))
    }

    /// A statement prepared once on this connection.
    final class Statement {
        let connection: ReadConnection
        let handle: OpaquePointer
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        init(_ connection: ReadConnection, sql: String) throws(CatalogError) {
            self.connection = connection
            var h: OpaquePointer?
            let rc = sqlite3_prepare_v3(connection.db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &h, nil)
            guard rc == SQLITE_OK, let h else { throw connection.failure(rc) }
            handle = h
        }

        deinit { sqlite3_finalize(handle) }

        func bind(_ index: Int32, _ v: Int64) { sqlite3_bind_int64(handle, index, v) }
        func bind(_ index: Int32, text v: String) {
            var s = v
            s.withUTF8 { p in
                _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(p.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self),
                                      Int32(p.count), Self.transient)
            }
        }
        func bind(_ index: Int32, blob v: PathBytes) {
            _ = v.withUnsafeBytes { p in
                sqlite3_bind_blob(handle, index, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(p.count), Self.transient)
            }
        }

        /// Steps once: true on a row, false when done.
        func step() throws(CatalogError) -> Bool {
            let rc = sqlite3_step(handle)
            guard rc == SQLITE_ROW || rc == SQLITE_DONE else { throw connection.failure(rc) }
            return rc == SQLITE_ROW
        }

        /// Ends the read, releasing its snapshot.
        func reset() { sqlite3_reset(handle) }

        /// Steps through every row, handing each to `body`, then resets.
        func forEachRow(_ body: (FastStatement.Row) throws(CatalogError) -> Void) throws(CatalogError) {
            defer { reset() }
            while try step() { try body(FastStatement.Row(handle: handle)) }
        }
    }
}
