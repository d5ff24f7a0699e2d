import Foundation
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization
import TidemarkCore

/// The scan's store on a PostgreSQL catalog: each walker looks its directories up on a
/// connection of its own, the writer sends new rows with `COPY` and changes as set-based
/// statements over arrays (no round trip per row), and the finisher locks the streams it
/// rewrites. Several hosts scan their own contexts into one catalog at once: each scan holds
/// its context's lock (a session advisory lock, freed when a killed scanner's connection dies).
public final class PostgresScanStore: ScanStore, Sendable {
    /// The catalog, migrated when opened; its own session runs the scan's small statements.
    public let catalog: PostgresCatalog
    /// Where this host keeps the crash guard's records of scans into this catalog.
    private let stateDirectory: String
    /// Subdirectories' files fetched with their parent, until a walker visits them.
    let prefetched: PrefetchedDirectories
    /// Walkers' connections once their lookups are done: the scan's finish reads streams on
    /// them, and the next scan's walkers take them again (no new connection for either).
    private let parked = Mutex<[PostgresSession]>([])

    /// Opens the catalog at `url` (a postgres:// URL), creating its schema on first use.
    public convenience init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(CatalogError) {
        try self.init(url: url, environment: environment, prefetched: PrefetchedDirectories())
    }

    /// `prefetched`: how much the walkers' lookups fetch ahead.
    init(url: String, environment: [String: String], prefetched: PrefetchedDirectories) throws(CatalogError) {
        self.prefetched = prefetched
        do { catalog = try PostgresCatalog(url: url, environment: environment) } catch let e as CatalogError { throw e } catch {
            throw CatalogError(path: CatalogLocation.maskingPassword(url), kind: .cannotOpen, message: "\(error)", cause: error)
        }
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        stateDirectory = state + "/tidemark"
    }

    /// A new connection to the catalog's server (one per walker, one for the writer).
    func session() throws(CatalogError) -> PostgresSession { try PostgresSession(url: catalog.url, configuration: catalog.configuration) }

    /// Runs `body` on the catalog's own session (its statements and transactions one caller at a time).
    func onMain<T>(_ body: (PostgresSession) throws(CatalogError) -> T) throws(CatalogError) -> T { try body(catalog.session) }

    public func lock(_ region: LockRegion, holder: String) throws(CatalogLockError) -> any RunLock { try catalog.lock(region, holder: holder) }

    public func probe(_ region: LockRegion) throws(CatalogLockError) -> LockProbe { try catalog.probe(region) }

    public var path: String { catalog.url.masked }

    // MARK: - ScanStore

    public func knownRoots() throws(CatalogError) -> [KnownRoot] {
        try onMain { s throws(CatalogError) in
            try s.rows("SELECT r.id, c.name, r.path, r.device, r.inode FROM roots r JOIN contexts c ON c.id = r.context_id ORDER BY r.id").map { row in
                let c = Array(row)
                let identity = c[3].optionalInt.flatMap { d in c[4].optionalInt.map { RootIdentity(device: UInt64(bitPattern: d), inode: UInt64(bitPattern: $0)) } }
                return KnownRoot(id: c[0].int64, context: c[1].string ?? "", path: c[2].byteArray, identity: identity)
            }
        }
    }

    public func interruptKilledScans(context: String) throws(CatalogError) {
        try onMain { s throws(CatalogError) in
            try s.execute("""
                UPDATE scans SET status = \(ScanStatus.interrupted.rawValue)
                WHERE status = \(ScanStatus.running.rawValue) AND context_id = (SELECT id FROM contexts WHERE name = \(context))
                """)
        }
    }

    public func beginScan(context: ContextDefinition, roots: [AdmittedRoot], explicit: Bool, started: Instant) throws(CatalogError) -> ScanSession {
        prefetched.removeAll()
        return try onMain { s throws(CatalogError) in
            try s.transaction { () throws(CatalogError) in
                try s.execute("INSERT INTO contexts (name, definition_file) VALUES (\(context.name), \(context.file)) ON CONFLICT (name) DO NOTHING")
                let row = Array(try s.rows("SELECT id, fingerprint FROM contexts WHERE name = \(context.name)")[0])
                let contextId = row[0].int64
                let fingerprint = row[1].string
                var rootIds: [Int64] = []
                for r in roots {
                    let device = Int64(bitPattern: r.probe.identity.device), inode = Int64(bitPattern: r.probe.identity.inode)
                    if let id = r.existingId {
                        try s.execute("UPDATE roots SET device = \(device), inode = \(inode) WHERE id = \(id)")
                        if r.rename { try s.execute("UPDATE roots SET path = \(ByteBuffer(path: r.probe.path)) WHERE id = \(id)") }
                        rootIds.append(id)
                    } else {
                        let inserted = try s.rows("""
                            INSERT INTO roots (context_id, path, device, inode) VALUES (\(contextId), \(ByteBuffer(path: r.probe.path)), \(device), \(inode))
                            RETURNING id
                            """)
                        rootIds.append(Array(inserted[0])[0].int64)
                    }
                }
                let last = try s.rows("SELECT status FROM scans WHERE context_id = \(contextId) ORDER BY id DESC LIMIT 1").first.flatMap { Array($0)[0].string }
                let scan = try s.rows("""
                    INSERT INTO scans (context_id, started, status, explicit_roots)
                    VALUES (\(contextId), \(started.microseconds), \(ScanStatus.running.rawValue), \(explicit ? 1 : 0)) RETURNING id
                    """)
                return ScanSession(scanId: Array(scan[0])[0].int64, contextId: contextId, rootIds: rootIds,
                                   reclassify: fingerprint != nil && fingerprint != context.fingerprint,
                                   // A scan that died or failed left batches without their finish.
                                   finalizeAll: last != ScanStatus.complete.rawValue || fingerprint != context.fingerprint,
                                   started: started)
            }
        }
    }

    public func strikeSuspects(_ inFlight: Set<InFlightRead>) throws(CatalogError) -> [PathBytes: ReadingSuspect] {
        try onMain { s throws(CatalogError) in
            try s.transaction { () throws(CatalogError) in
                for f in inFlight {
                    try s.execute("""
                        INSERT INTO reading_suspects (path, size, mtime, strikes) VALUES (\(ByteBuffer(path: f.path)), \(f.size), \(f.mtimeNanoseconds), 1)
                        ON CONFLICT (path) DO UPDATE SET
                            strikes = CASE WHEN reading_suspects.size = excluded.size AND reading_suspects.mtime = excluded.mtime
                                           THEN reading_suspects.strikes + 1 ELSE 1 END,
                            size = excluded.size, mtime = excluded.mtime
                        """)
                }
                var out: [PathBytes: ReadingSuspect] = [:]
                for row in try s.rows("SELECT path, strikes, size, mtime FROM reading_suspects") {
                    let c = Array(row)
                    out[c[0].byteArray] = ReadingSuspect(strikes: Int(c[1].int64), size: c[2].int64, mtime: c[3].int64)
                }
                return out
            }
        }
    }

    public func clearSuspects(_ paths: [PathBytes]) throws(CatalogError) {
        guard !paths.isEmpty else { return }
        try onMain { s throws(CatalogError) in
            try s.execute("DELETE FROM reading_suspects WHERE path = ANY(\(paths.map { ByteBuffer(path: $0) }))")
        }
    }

    /// In this host's state directory (`$XDG_STATE_HOME/tidemark`, else `~/.local/state/tidemark`),
    /// one per catalog and context: a crash is a crash of this host's scanner.
    public func readingRecordPath(context: String) -> String {
        try? FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let server = "\(catalog.url.host):\(catalog.url.port)/\(catalog.url.database)"
        return stateDirectory + "/reading-" + ContextDefinition.fnv1a(server + "\n" + context)
    }

    public func makeLookup() throws(CatalogError) -> any DirectoryLookup {
        if let reused = parked.withLock({ $0.popLast() }) { return PostgresLookup(reused, prefetched: prefetched, parking: self) }
        return PostgresLookup(try session(), prefetched: prefetched, parking: self)
    }

    /// Keeps a session whose work is done (outside any transaction) for later work of this store.
    func park(_ session: PostgresSession) { parked.withLock { $0.append(session) } }

    /// Up to `count` parked sessions, taken out of the park.
    func takeParked(_ count: Int) -> [PostgresSession] {
        parked.withLock { p in
            let taken = Array(p.suffix(count))
            p.removeLast(taken.count)
            return taken
        }
    }

    public func makeWriter(_ session: ScanSession) throws(CatalogError) -> any ScanBatchWriter {
        PostgresScanWriter(store: self, connections: [try self.session(), try self.session()], session: session)
    }
}
