import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A held lock on one region of a catalog: exclusive while the value lives, released when
/// it is released — and, whatever the store, when its holder dies (a kernel file lock on
/// SQLite, a session's advisory lock on a server), so a killed run never blocks the next.
public protocol RunLock: AnyObject, Sendable {
    /// What it locks.
    var region: LockRegion { get }
}

/// A store whose regions can be locked, one holder at a time.
public protocol RunLocking: AnyObject, Sendable {
    /// Takes the lock on `region` or throws at once (it never waits). `holder` names the run
    /// in others' messages: `scan`, `policy run NAME`, `delete`.
    func lock(_ region: LockRegion, holder: String) throws(CatalogLockError) -> any RunLock
    /// Who stands at `region` now, without taking it.
    func probe(_ region: LockRegion) throws(CatalogLockError) -> LockProbe
}

/// What a look at a lock found.
public enum LockProbe: Sendable {
    /// Held, so its holder is alive; the holder as it recorded itself (nil before it has).
    case held(LockHolder?)
    /// Free. `deadHolder` is the record of a holder that died holding it (killed before it
    /// could release it); nil when the last holder let go.
    case free(deadHolder: LockHolder?)
}

/// A part of a catalog that one process at a time may change.
public enum LockRegion: Sendable, Hashable {
    /// Policy runs (and `delete --yes`): one at a time per catalog.
    case policyRuns
    /// One context: its scan, or a policy run on it.
    case context(String)

    /// The name its holder is recorded under in `lock_owners`.
    public var key: String {
        switch self {
        case .policyRuns: "policy runs"
        case .context(let c): "context " + c
        }
    }

    /// A 64-bit hash of `key` that every process and build computes alike (FNV-1a over its
    /// UTF-8 bytes), unlike `hashValue`, which Swift seeds afresh in each process: a
    /// server's advisory lock is keyed by it.
    public var stableHash: UInt64 { ContextDefinition.fnv1aValue(key) }
}

/// Who holds a lock, as they recorded it when they took it.
public struct LockHolder: Sendable {
    /// `scan`, `policy run NAME`, `delete`.
    public var holder: String
    /// The holder's process id, on `host`.
    public var pid: Int64
    /// The holder's host name.
    public var host: String
    /// When the holder took the lock.
    public var since: Instant

    /// A holder as a store recorded it.
    public init(holder: String, pid: Int64, host: String, since: Instant) {
        self.holder = holder; self.pid = pid; self.host = host; self.since = since
    }

    /// `pid 123 on host since 2017-05-01T02:30:00Z`.
    public var owner: String { "pid \(pid) on \(host) since \(since.iso8601)" }

    /// This process, taking a lock now as `holder`.
    public static func thisProcess(_ holder: String) -> LockHolder {
        LockHolder(holder: holder, pid: Int64(getpid()), host: hostName, since: Instant(secondsSince1970: Date().timeIntervalSince1970))
    }

    /// This machine's name, as holders record it.
    public static let hostName: String = {
        var host = [CChar](repeating: 0, count: 256)
        guard gethostname(&host, 255) == 0 else { return "?" }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}

/// A lock found held by another run.
public struct LockConflict: Error, Sendable {
    /// The catalog's path, as the refused run named it.
    public var catalog: String
    /// What is locked: policy runs, or one context.
    public var region: LockRegion
    /// Who holds it; nil when the holder has not recorded itself yet.
    public var holder: LockHolder?

    /// A refusal at `region` of `catalog`, naming its holder when known.
    public init(catalog: String, region: LockRegion, holder: LockHolder?) {
        self.catalog = catalog; self.region = region; self.holder = holder
    }
}

/// Why a lock could not be taken.
public enum CatalogLockError: Error, Sendable {
    /// Another run holds it.
    case held(LockConflict)
    /// No one holds it, but it cannot be taken (a read-only catalog).
    case unavailable(SystemError)
    /// The store failed while taking or looking at it (a server that cannot be reached).
    case catalog(CatalogError)

    /// What stopped a lock that no one holds, said so a person knows what to do.
    public static func describe(_ e: SystemError) -> String {
        switch e.errno {
        case EACCES, EPERM, EROFS:
            "cannot lock the catalog \(e.path.displayPath): it is read-only for this user (file permissions or a read-only file system); "
                + "use --db to name a writable file"
        default: "cannot lock the catalog: \(e)"
        }
    }
}

