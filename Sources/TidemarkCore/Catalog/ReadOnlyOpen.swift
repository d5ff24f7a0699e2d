import Foundation
import GRDB

/// Opening a catalog for a query when this user cannot write beside it (another user's
/// catalog, a read-only mount). A WAL-mode reader needs the `-shm` file: when it exists,
/// SQLite reads through it read-only; when it does not and cannot be created, the catalog
/// is opened `immutable=1`, which needs no `-shm` and is exact as long as no `-wal` holds
/// changes the main file lacks (checked first).
extension SQLiteCatalog {
    static func readOnlyPool(path: String, configuration: Configuration) throws -> DatabasePool {
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // The first read is where a missing `-shm` shows.
            try pool.read { db in _ = try db.tableExists("grdb_migrations") }
            return pool
        } catch let error as DatabaseError where [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_IOERR].contains(error.resultCode.primaryResultCode) {
            guard !walHoldsChanges(path) else {
                throw CatalogError(path: path, kind: .readOnly, message: """
                    cannot be read here: its latest changes are in \(path)-wal, which SQLite reads only through \
                    \(path)-shm, and that file cannot be created (\(error.message ?? "\(error.resultCode)"): another \
                    user's directory or a read-only mount). To fold the changes into the catalog file, run \
                    `sqlite3 \(path) 'PRAGMA wal_checkpoint(TRUNCATE)'` as a user who can write to its directory
                    """)
            }
            return try DatabasePool(path: immutableURI(path), configuration: configuration)
        }
    }

    /// True when `<path>-wal` exists and is not empty.
    static func walHoldsChanges(_ path: String) -> Bool {
        var st = stat()
        return stat(path + "-wal", &st) == 0 && st.st_size > 0
    }

    /// `file:` URI of an absolute path, opened immutable (no locks, no `-shm`).
    static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file://" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }
}
