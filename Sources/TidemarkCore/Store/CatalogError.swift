import Foundation

/// A catalog that cannot be opened, read or written, said so a person knows what to do.
/// Each adapter maps its own result codes to a `Kind`, and keeps the driver's error as `cause`.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, independent of the store: callers (retries, exit codes, the server)
    /// decide on this, never on a driver's codes.
    public enum Kind: String, Sendable, CaseIterable {
        /// Another writer holds the catalog for too long.
        case busy
        /// The disk (or the server's) is full.
        case full
        /// Not a catalog, or damaged.
        case corrupt
        /// Written by a newer Tidemark (a migration this build does not know).
        case newerSchema
        /// Written by an older Tidemark and opened read-only: it needs its migrations first.
        case olderSchema
        /// The file or database may not be written by this user.
        case readOnly
        /// Cannot be opened: no such catalog, a directory, an odd file beside it.
        case cannotOpen
        /// The connection to a catalog server was lost (never for SQLite).
        case connectionLost
        /// A transaction lost a serialization race and may be retried as a whole.
        case serializationFailure
        /// The disk or the network failed an input/output.
        case io
        /// A worker's claim on a queued item was lost (its lease ran out and the item was
        /// handed on): it may not act on the item any more.
        case leaseLost
        /// Anything else.
        case other

        /// Worth retrying the whole transaction unchanged.
        public var isTransient: Bool { self == .busy || self == .serializationFailure || self == .connectionLost }
    }

    public var path: String
    public var message: String
    public var kind: Kind
    /// The driver's own error (a GRDB `DatabaseError`, a PostgreSQL error), when there was one.
    public var cause: (any Error)?

    public init(path: String, kind: Kind = .other, message: String, cause: (any Error)? = nil) {
        self.path = path
        self.kind = kind
        self.message = message
        self.cause = cause
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
