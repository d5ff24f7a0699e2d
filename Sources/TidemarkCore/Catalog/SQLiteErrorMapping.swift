import Foundation
import GRDB

/// SQLite's result codes as catalog error kinds, each with the sentence a person needs.
extension CatalogError {
    init(path: String, _ error: any Error) {
        guard let db = error as? DatabaseError else {
            self.init(path: path, kind: .other, message: "\(error)", cause: error)
            return
        }
        let (kind, message): (Kind, String) = switch db.resultCode.primaryResultCode {
        case .SQLITE_FULL:
            (.full, Self.diskFull(path))
        case .SQLITE_READONLY:
            (.readOnly, "the catalog is read-only (file permissions or a read-only file system); use --db to name a writable file")
        case .SQLITE_CANTOPEN:
            (.cannotOpen, "cannot open the catalog file (does its directory exist and is it writable?)")
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            (.corrupt, "this file is not a Tidemark catalog or is damaged (\(db.message ?? "corrupt")); restore it from a backup or name another with --db")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            (.busy, "the catalog is busy: another process holds a write lock for too long; try again later")
        case .SQLITE_IOERR where Self.nearlyFull(path):
            // SQLite says "I/O error" when a full disk stops its WAL index (-shm) growing.
            (.full, Self.diskFull(path))
        case .SQLITE_IOERR:
            (.io, "input/output error on the catalog (\(db.message ?? "I/O error")); check the disk")
        default:
            (.other, db.message ?? "\(db)")
        }
        self.init(path: path, kind: kind, message: message, cause: db)
    }
}
