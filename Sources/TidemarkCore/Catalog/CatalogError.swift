import Foundation
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
            message = Self.diskFull(path)
        case .SQLITE_READONLY:
            message = "the catalog is read-only (file permissions or a read-only file system); use --db to name a writable file"
        case .SQLITE_CANTOPEN:
            message = "cannot open the catalog file (does its directory exist and is it writable?)"
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            message = "this file is not a Tidemark catalog or is damaged (\(db.message ?? "corrupt")); restore it from a backup or name another with --db"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            message = "the catalog is busy: another process holds a write lock for too long; try again later"
        case .SQLITE_IOERR where Self.nearlyFull(path):
            // SQLite says "I/O error" when a full disk stops its WAL index (-shm) growing.
            message = Self.diskFull(path)
        case .SQLITE_IOERR:
            message = "input/output error on the catalog (\(db.message ?? "I/O error")); check the disk"
        default:
            message = db.message ?? "\(db)"
        }
    }

    public var description: String { "catalog \(path): \(message)" }

    /// The directory holding the catalog, as the user named it.
    static func directory(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    static func diskFull(_ path: String) -> String {
        "the disk holding \(directory(of: path)) is full: free space and run again; the catalog is intact (nothing half-written was kept)"
    }

    /// Less than a megabyte left where the catalog lives: too little for SQLite to work.
    static func nearlyFull(_ path: String) -> Bool {
        var vfs = statvfs()
        guard statvfs(directory(of: path), &vfs) == 0 else { return false }
        return UInt64(vfs.f_bavail) * UInt64(vfs.f_frsize) < 1 << 20
    }
}
