import PostgresNIO
import TidemarkCore

/// A held run lock on a PostgreSQL catalog: a session-level advisory lock taken with
/// `pg_try_advisory_lock` (it never waits) on a session of its own, which this value owns.
/// Releasing it unlocks and ends that session; a holder that dies, however it dies, drops
/// its connection, and the server ends the session and frees the lock with it — so no
/// liveness guess is needed, and `pg_locks` tells a live holder from a dead one.
///
/// The key is `LockRegion.stableHash` read as a signed bigint: the one-argument form of the
/// advisory-lock functions, whose key space is apart from the two-int4 form's. Who holds it
/// is recorded in `lock_owners`, only for the message a refused run prints.
///
/// The session asks the server to probe a silent client with TCP keepalives, so a holder
/// whose host dies (not just its process) loses the lock in about a minute rather than the
/// kernel's two hours, and it turns off the idle timeouts that would end a holder's session
/// while it works. If the server or the network drops the session, the lock is gone too.
final class PostgresRunLock: RunLock {
    let region: LockRegion
    private let session: PostgresSession
    private let me: LockHolder

    /// Takes the lock or throws at once.
    init(catalog: PostgresCatalog, region: LockRegion, holder: String) throws(CatalogLockError) {
        let session: PostgresSession
        do {
            session = try catalog.newSession()
            // Only the settings this server has (idle_session_timeout is new in PostgreSQL 14).
            try session.execute("""
                SELECT set_config(name, CASE name WHEN 'tcp_keepalives_idle' THEN '30' WHEN 'tcp_keepalives_interval' THEN '10'
                                                  WHEN 'tcp_keepalives_count' THEN '3' ELSE '0' END, false)
                FROM pg_settings WHERE name IN ('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count',
                                                'idle_session_timeout', 'idle_in_transaction_session_timeout')
                """)
            let taken = try session.rows("SELECT pg_try_advisory_lock(\(region.advisoryKey))")
            guard try taken.first?.decode(Bool.self) == true else {
                session.close()
                throw CatalogLockError.held(LockConflict(catalog: catalog.url.masked, region: region, holder: try Self.recordedHolder(catalog, region)))
            }
        } catch let e as CatalogLockError {
            throw e
        } catch let e as CatalogError {
            throw .catalog(e)
        } catch {
            throw .catalog(CatalogError(path: catalog.url.masked, message: "\(error)", cause: error))
        }
        self.region = region
        self.session = session
        me = LockHolder.thisProcess(holder)
        // Only a note for others' messages: the run's first real write says what is wrong.
        try? session.execute("""
            INSERT INTO lock_owners ("lock", holder, pid, host, since) VALUES (\(region.key), \(me.holder), \(me.pid), \(me.host), \(me.since.microseconds))
            ON CONFLICT ("lock") DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host, since = excluded.since
            """)
    }

    deinit {
        try? session.execute("DELETE FROM lock_owners WHERE \"lock\" = \(region.key) AND pid = \(me.pid) AND host = \(me.host)")
        try? session.execute("SELECT pg_advisory_unlock(\(region.advisoryKey))")
        session.close()
    }

    /// Who recorded itself as holding `region`; nil when no one did.
    private static func recordedHolder(_ catalog: PostgresCatalog, _ region: LockRegion) throws(CatalogError) -> LockHolder? {
        let rows = try catalog.rows("SELECT holder, pid, host, since FROM lock_owners WHERE \"lock\" = \(region.key)")
        guard let row = rows.first else { return nil }
        do {
            let (holder, pid, host, since) = try row.decode((String, Int64, String, Int64).self)
            return LockHolder(holder: holder, pid: pid, host: host, since: Instant(microseconds: since))
        } catch {
            throw CatalogError(path: catalog.url.masked, kind: .corrupt, message: "lock_owners holds a row that cannot be read: \(error)", cause: error)
        }
    }

    /// Who stands at `region` now: the server's `pg_locks` says whether a session holds it
    /// (held means alive, since a dead holder's session is gone); a holder's record left
    /// behind a free lock is that of one that died holding it.
    static func probe(_ catalog: PostgresCatalog, _ region: LockRegion) throws(CatalogError) -> LockProbe {
        let key = region.stableHash
        let held = try catalog.rows("""
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
                             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                             AND classid::bigint = \(Int64(key >> 32)) AND objid::bigint = \(Int64(key & 0xffff_ffff)))
            """)
        let recorded = try recordedHolder(catalog, region)
        do {
            return try held.first?.decode(Bool.self) == true ? .held(recorded) : .free(deadHolder: recorded)
        } catch {
            throw CatalogError(path: catalog.url.masked, message: "pg_locks could not be read: \(error)", cause: error)
        }
    }
}

extension LockRegion {
    /// The advisory lock's key: `stableHash`, as the server's signed bigint.
    var advisoryKey: Int64 { Int64(bitPattern: stableHash) }
}

extension PostgresCatalog: RunLocking {
    public func lock(_ region: LockRegion, holder: String) throws(CatalogLockError) -> any RunLock {
        try PostgresRunLock(catalog: self, region: region, holder: holder)
    }

    public func probe(_ region: LockRegion) throws(CatalogLockError) -> LockProbe {
        do { return try PostgresRunLock.probe(self, region) } catch { throw .catalog(error) }
    }
}
