import Foundation
internal import GRDBSQLite

/// One walker thread's directory lookup: its own read-only connection (see ReadConnection)
/// with the lookup prepared once.
final class CatalogLookup: DirectoryLookup {
    private let statement: ReadConnection.Statement

    /// The directory's id on every row (one row when it has no files), then its files by name.
    private static let sql = """
        SELECT d.id, f.id, f.name, f.size, f.mtime, f.inode, f.device, f.state, f.ctime
        FROM dirs d LEFT JOIN files f ON f.dir_id = d.id WHERE d.root_id = ?1 AND d.path = ?2 ORDER BY f.name
        """

    init(path: String) throws(CatalogError) {
        statement = try ReadConnection.Statement(ReadConnection(path: path), sql: Self.sql)
    }

    /// Runs `body` with a cursor over one directory's catalogued files, in name order.
    func directory<T>(root: Int64, relative: PathBytes, _ body: (inout Cursor) throws(CatalogError) -> T) throws(CatalogError) -> T {
        defer { statement.reset() }
        statement.bind(1, root)
        statement.bind(2, blob: relative)
        var cursor = Cursor(statement: statement)
        try cursor.advance()
        cursor.dirId = cursor.onRow ? sqlite3_column_int64(statement.handle, 0) : nil
        if cursor.onRow && sqlite3_column_type(statement.handle, 1) == SQLITE_NULL { cursor.onRow = false }
        return try body(&cursor)
    }

    /// The files of one directory as the catalog holds them, read in place, one at a time.
    struct Cursor: CatalogCursor {
        fileprivate let statement: ReadConnection.Statement
        private var handle: OpaquePointer { statement.handle }
        /// The directory's row, nil when the catalog does not know it.
        fileprivate(set) var dirId: Int64?
        /// False once every file was passed.
        fileprivate(set) var onRow = false

        fileprivate init(statement: ReadConnection.Statement) { self.statement = statement }

        /// Moves to the next file.
        mutating func advance() throws(CatalogError) { onRow = try statement.step() }

        /// The current file's name compared with `name`: negative when it sorts first (as
        /// SQLite orders blobs: bytes, then length).
        func compareName(_ name: PathBytes) -> Int {
            let n = Int(sqlite3_column_bytes(handle, 2))
            let p = sqlite3_column_blob(handle, 2)
            return name.withUnsafeBytes { q in
                let common = min(n, q.count)
                let c = common == 0 ? 0 : memcmp(p!, q.baseAddress!, common)
                return c != 0 ? Int(c) : n - q.count
            }
        }

        var id: Int64 { sqlite3_column_int64(handle, 1) }
        var state: FileState { FileState(rawValue: Int(sqlite3_column_int64(handle, 7))) ?? .live }

        /// Same file, same content as far as metadata can tell (see `CatalogedFile.isUnchanged`).
        func isUnchanged(_ s: FileStat) -> Bool {
            sqlite3_column_int64(handle, 3) == s.size && sqlite3_column_int64(handle, 4) == s.mtimeNanoseconds
                && UInt64(bitPattern: sqlite3_column_int64(handle, 5)) == s.inode
                && UInt64(bitPattern: sqlite3_column_int64(handle, 6)) == s.device
                && sqlite3_column_int64(handle, 8) == s.ctimeNanoseconds
        }

        var name: PathBytes { FastStatement.Row(handle: handle).blob(2) }

        /// The current file, copied out.
        var file: CatalogedFile {
            CatalogedFile(
                id: id, name: name,
                stat: FileStat(size: sqlite3_column_int64(handle, 3), mtimeNanoseconds: sqlite3_column_int64(handle, 4),
                               inode: UInt64(bitPattern: sqlite3_column_int64(handle, 5)),
                               device: UInt64(bitPattern: sqlite3_column_int64(handle, 6)),
                               ctimeNanoseconds: sqlite3_column_int64(handle, 8)),
                state: state)
        }
    }
}
