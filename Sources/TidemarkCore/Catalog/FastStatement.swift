import GRDB
internal import GRDBSQLite

/// Binds and steps a prepared GRDB statement through the SQLite C API, for the scan's
/// per-file loops where building `StatementArguments` costs more than the insert itself.
/// Use it only inside the GRDB access block that owns the statement's connection.
struct FastStatement {
    let statement: Statement
    private var handle: OpaquePointer { statement.sqliteStatement }
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement) { self.statement = statement }

    func bind(_ index: Int32, _ v: Int64) { sqlite3_bind_int64(handle, index, v) }
    func bind(_ index: Int32, _ v: Int64?) {
        if let v { sqlite3_bind_int64(handle, index, v) } else { sqlite3_bind_null(handle, index) }
    }
    func bind(_ index: Int32, _ v: String?) {
        guard let v else { sqlite3_bind_null(handle, index); return }
        var s = v
        s.withUTF8 { p in _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(p.count), Self.transient) }
    }
    func bind(_ index: Int32, blob v: PathBytes) {
        v.withUnsafeBytes { p in _ = sqlite3_bind_blob(handle, index, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(p.count), Self.transient) }
    }

    /// Runs a statement that returns no rows.
    func execute() throws {
        defer { sqlite3_reset(handle) }
        let rc = sqlite3_step(handle)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))), sql: statement.sql)
        }
    }

    /// Steps through result rows, handing each to `body`.
    func forEachRow(_ body: (Row) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))), sql: statement.sql)
            }
            try body(Row(handle: handle))
        }
    }

    /// The current row's columns.
    struct Row {
        let handle: OpaquePointer
        func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
        func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
        func int64OrNil(_ i: Int32) -> Int64? { isNull(i) ? nil : int64(i) }
        func text(_ i: Int32) -> String {
            guard let p = sqlite3_column_text(handle, i) else { return "" }
            return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i))), as: UTF8.self)
        }
        func textOrNil(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
        func blob(_ i: Int32) -> PathBytes {
            let n = Int(sqlite3_column_bytes(handle, i))
            guard n > 0, let p = sqlite3_column_blob(handle, i) else { return [] }
            return PathBytes(UnsafeRawBufferPointer(start: p, count: n))
        }
    }
}
