import Foundation
import GRDB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension LockRegion {
    /// The byte of the database file locked for it: far above the bytes SQLite itself locks
    /// (from 1 GiB), one per context (a 52-bit hash of its name).
    var offset: Int64 {
        let base: Int64 = 1 << 62
        switch self {
        case .policyRuns: return base
        case .context(let c): return base + 1 + Int64(ContextDefinition.fnv1aValue(c) & ((1 << 52) - 1))
        }
    }
}

/// An exclusive hold on one region of a catalog, keyed by the database file's identity —
/// its device and inode — so every name of the file (`./c.db`, an absolute path, a
/// symbolic or a hard link) meets the same lock, and no file is made beside the catalog.
///
/// The lock is an open-file-description lock (`F_OFD_SETLK`) on one byte of the database
/// file, a byte SQLite never locks: the kernel releases it when the holder dies, however
/// it dies, so no liveness guess is needed, and it conflicts with other descriptions in the
/// same process too. Who holds it is recorded in `lock_owners`, only for the message a
/// refused run prints.
public final class CatalogLock: RunLock, @unchecked Sendable {  // immutable once made
    /// What it locks.
    public let region: LockRegion
    private let catalog: SQLiteCatalog
    private let fd: Int32
    private let identity: Identity

    /// Takes the lock or throws at once (it never waits).
    public init(catalog: SQLiteCatalog, region: LockRegion, holder: String) throws(CatalogLockError) {
        // Nothing is stored before the lock is held: a half-made lock must not run `deinit`.
        let fd: Int32, identity: Identity
        do { (fd, identity) = try Self.descriptor(catalog.path) } catch { throw .unavailable(error) }
        var range = Self.range(F_WRLCK, region)
        guard fcntl(fd, Self.setLock, &range) == 0 else {
            let e = errno
            Self.spare.withLock { $0[identity, default: []].append(fd) }
            guard e == EAGAIN || e == EACCES else { throw .unavailable(SystemError("fcntl(F_OFD_SETLK)", errno: e, path: catalog.path.pathBytes)) }
            throw .held(LockConflict(catalog: catalog.path, region: region, holder: Self.recordedHolder(catalog, region)))
        }
        self.catalog = catalog
        self.region = region
        self.fd = fd
        self.identity = identity
        // Only a note for others' messages: a catalog that cannot take it (a full disk) fails
        // at the run's first real write, with the message for that.
        let me = LockHolder.thisProcess(holder)
        try? catalog.write { db in
            try db.execute(sql: """
                INSERT INTO lock_owners (lock, holder, pid, host, since) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (lock) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, since = excluded.since
                """, arguments: [region.key, me.holder, me.pid, me.host, me.since.microseconds])
        }
    }

    deinit {
        try? catalog.write { db in
            try db.execute(sql: "DELETE FROM lock_owners WHERE lock = ? AND pid = ?", arguments: [region.key, Int64(getpid())])
        }
        var range = Self.range(F_UNLCK, region)
        _ = fcntl(fd, Self.setLock, &range)
        Self.spare.withLock { $0[identity, default: []].append(fd) }
    }

    /// Who recorded itself as holding `region`; nil when no one did (or it cannot be read).
    private static func recordedHolder(_ catalog: SQLiteCatalog, _ region: LockRegion) -> LockHolder? {
        let owner = try? catalog.read { db in
            try Row.fetchOne(db, sql: "SELECT holder, pid, host, since FROM lock_owners WHERE lock = ?", arguments: [region.key])
        }
        return owner.flatMap { $0 }.map { LockHolder(holder: $0[0], pid: $0[1], host: $0[2], since: Instant(microseconds: $0[3])) }
    }

    /// Who stands at `region` of `catalog` now: the kernel says whether anyone holds it
    /// (`F_OFD_GETLK`: held means alive, since a dead holder's lock is gone); a holder's
    /// record left behind a free lock is that of one that died holding it.
    static func probe(_ catalog: SQLiteCatalog, _ region: LockRegion) throws(CatalogLockError) -> LockProbe {
        let fd: Int32, identity: Identity
        do { (fd, identity) = try descriptor(catalog.path) } catch { throw .unavailable(error) }
        defer { spare.withLock { $0[identity, default: []].append(fd) } }
        var range = range(F_WRLCK, region)
        guard fcntl(fd, getLock, &range) == 0 else {
            throw .unavailable(SystemError("fcntl(F_OFD_GETLK)", errno: errno, path: catalog.path.pathBytes))
        }
        let recorded = recordedHolder(catalog, region)
        return range.l_type == Int16(F_UNLCK) ? .free(deadHolder: recorded) : .held(recorded)
    }

    /// `F_OFD_GETLK` (Linux 3.15).
    private static let getLock: Int32 = 36

    /// A database file's device and inode.
    private struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ st: stat) { device = UInt64(st.st_dev); inode = UInt64(st.st_ino) }
    }

    /// Descriptors of database files opened for locking, free for the next lock. They are
    /// never closed: closing any descriptor of a file drops every POSIX lock the process
    /// holds on it, SQLite's own included ("How To Corrupt An SQLite Database File", 2.2).
    private static let spare = Mutex<[Identity: [Int32]]>([:])

    /// A descriptor of the database file `path` names now, with the file's identity.
    private static func descriptor(_ path: String) throws(SystemError) -> (Int32, Identity) {
        for _ in 0..<3 {
            var st = stat()
            guard stat(path, &st) == 0 else { throw SystemError("stat", errno: errno, path: path.pathBytes) }
            let identity = Identity(st)
            if let fd = spare.withLock({ $0[identity]?.popLast() }) { return (fd, identity) }
            let fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
            guard fd >= 0 else { throw SystemError("open", errno: errno, path: path.pathBytes) }
            guard fstat(fd, &st) == 0 else { throw SystemError("fstat", errno: errno, path: path.pathBytes) }
            if Identity(st) == identity { return (fd, identity) }
            // The name was given to another file meanwhile: keep this one for its own file.
            spare.withLock { $0[Identity(st), default: []].append(fd) }
        }
        throw SystemError("open", errno: EAGAIN, path: path.pathBytes)
    }

    /// `F_OFD_SETLK` (Linux 3.15): glibc declares it only under `_GNU_SOURCE`.
    private static let setLock: Int32 = 37

    private static func range(_ type: Int32, _ region: LockRegion) -> flock {
        var range = flock()
        range.l_type = Int16(type)
        range.l_whence = Int16(SEEK_SET)
        range.l_start = off_t(region.offset)
        range.l_len = 1
        return range
    }

}

extension SQLiteCatalog: RunLocking {
    public func lock(_ region: LockRegion, holder: String) throws(CatalogLockError) -> any RunLock {
        try CatalogLock(catalog: self, region: region, holder: holder)
    }

    public func probe(_ region: LockRegion) throws(CatalogLockError) -> LockProbe {
        try CatalogLock.probe(self, region)
    }
}
