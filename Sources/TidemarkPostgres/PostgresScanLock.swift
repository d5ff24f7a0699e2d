import Foundation
import PostgresNIO
import TidemarkCore

// The run lock on PostgreSQL, as the scan needs it until the shared one (a session advisory
// lock per region, the claims work) replaces this file: a session-level advisory lock on a
// connection of its own, so a killed holder's lock goes with its connection.

extension PostgresScanStore {
    public func lock(_ region: LockRegion, holder: String) throws(CatalogLockError) -> any RunLock {
        let s: PostgresSession
        do { s = try session() } catch { throw .unavailable(SystemError("connect", errno: ECONNREFUSED, path: Array(error.description.utf8))) }
        do {
            let got = try s.rows("SELECT pg_try_advisory_lock(\(Self.lockKey(region)))").first.map { Array($0)[0].bytes?.getInteger(at: 0, as: UInt8.self) == 1 } ?? false
            guard got else {
                s.close()
                throw CatalogLockError.held(LockConflict(catalog: path, region: region, holder: try recordedHolder(region)))
            }
            try s.execute("""
                INSERT INTO lock_owners ("lock", holder, pid, host, since)
                VALUES (\(region.key), \(holder), \(Int64(getpid())), \(ProcessInfo.processInfo.hostName), \(Instant(secondsSince1970: Date().timeIntervalSince1970).microseconds))
                ON CONFLICT ("lock") DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, since = excluded.since
                """)
        } catch let e as CatalogLockError {
            throw e
        } catch {
            s.close()
            throw .unavailable(SystemError("lock", errno: EIO, path: Array("\(error)".utf8)))
        }
        return PostgresSessionLock(region: region, session: s)
    }

    public func probe(_ region: LockRegion) throws(CatalogLockError) -> LockProbe {
        let s: PostgresSession
        do { s = try session() } catch { throw .unavailable(SystemError("connect", errno: ECONNREFUSED, path: Array(error.description.utf8))) }
        defer { s.close() }
        do {
            let got = try s.rows("SELECT pg_try_advisory_lock(\(Self.lockKey(region)))").first.map { Array($0)[0].bytes?.getInteger(at: 0, as: UInt8.self) == 1 } ?? false
            let recorded = try recordedHolder(region)
            return got ? .free(deadHolder: recorded) : .held(recorded)
        } catch {
            throw .unavailable(SystemError("lock", errno: EIO, path: Array("\(error)".utf8)))
        }
    }

    /// The advisory lock's key: a 64-bit hash of the region's name.
    static func lockKey(_ region: LockRegion) -> Int64 { Int64(bitPattern: ContextDefinition.fnv1aValue("tidemark " + region.key)) }

    private func recordedHolder(_ region: LockRegion) throws(CatalogError) -> LockHolder? {
        try onMain { s throws(CatalogError) in
            try s.rows("SELECT holder, pid, host, since FROM lock_owners WHERE \"lock\" = \(region.key)").first.map { row in
                let c = Array(row)
                return LockHolder(holder: c[0].string ?? "", pid: c[1].int64, host: c[2].string ?? "", since: Instant(microseconds: c[3].int64))
            }
        }
    }
}

/// A held session advisory lock: released when the value goes, or when its holder dies
/// (the server ends the session, and its locks with it).
final class PostgresSessionLock: RunLock, @unchecked Sendable {  // immutable once made
    let region: LockRegion
    private let session: PostgresSession

    init(region: LockRegion, session: PostgresSession) { self.region = region; self.session = session }

    deinit {
        try? session.execute("DELETE FROM lock_owners WHERE \"lock\" = \(region.key) AND pid = \(Int64(getpid()))")
        session.close()
    }
}
