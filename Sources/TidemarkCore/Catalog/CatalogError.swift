import GRDB

/// A catalog that cannot be opened, read or written, said so a person knows what to do.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) { self.path = path; self.message = message }

    init(path: String, _ error: any Error) {
        self.path = path
        guard let db = error as? DatabaseError else {
            self.message = "\(error)"
            return
        }
        switch db.resultCode {
        case .SQLITE_FULL:
            message = "the disk holding the catalog is full; nothing was lost (the last transaction was rolled back). Free space and run again"
        case .SQLITE_READONLY:
            message = "the catalog is read-only (file permissions or a read-only file system); use --db to name a writable file"
        case .SQLITE_CANTOPEN:
            message = "cannot open the catalog file (does its directory exist and is it writable?)"
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            message = "this file is not a Tidemark catalog or is damaged (\(db.message ?? "corrupt")); restore it from a backup or name another with --db"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            message = "the catalog is busy: another process holds a write lock for too long; try again later"
        case .SQLITE_IOERR:
            message = "input/output error on the catalog (\(db.message ?? "I/O error")); check the disk"
        default:
            message = db.message ?? "\(db)"
        }
    }

    public var description: String { "catalog \(path): \(message)" }
}
