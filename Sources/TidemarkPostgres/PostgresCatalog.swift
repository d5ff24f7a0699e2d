import Foundation
import NIOSSL
import PostgresNIO
import TidemarkCore

/// A catalog on a PostgreSQL server. Synchronous, as the store protocols are: it owns one
/// connection on its own one-thread event loop and waits on it from the calling thread
/// (never from an event-loop thread). Opening connects and brings the schema up to date
/// through the named migrations (PostgresSchema), creating it on first use; a server with a
/// migration this build does not know is refused (CatalogError kind newerSchema).
public final class PostgresCatalog: Sendable {
    /// The catalog's address; its `masked` form is what messages show.
    public let url: PostgresURL
    /// The catalog as messages show it: the URL with its password masked.
    public var path: String { url.masked }
    /// How to reach the server: each run lock opens its own session with it.
    let configuration: PostgresConnection.Configuration
    let session: PostgresSession
    /// The transaction under way on the catalog's connection, if any (PostgresTransaction.swift).
    let transactions = TransactionState()

    /// Connects to `text` (a postgres:// URL) and migrates; every failure is a CatalogError
    /// whose message shows the URL with its password masked. Without `create` a database
    /// that holds no catalog is refused, with nothing made in it; `readOnly` refuses one
    /// that needs a migration rather than applying it (as a SQLite catalog opened read-only).
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                create: Bool = true, readOnly: Bool = false) throws {
        let url = try PostgresURL(text, environment: environment)
        self.url = url
        do {
            var configuration = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.resolvedPassword(environment: environment),
                database: url.database, tls: try Self.tls(url.tls))
            // No JIT compilation: the catalog's queries are short, and a plan costed over
            // jit_above_cost (a covers of an instant in a dense year of a 10,000,000-file
            // catalog) spent 20–40 ms compiling what runs in under 1 ms.
            configuration.options.additionalStartupParameters = [("jit", "off")]
            self.configuration = configuration
        } catch {
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: true)
        }
        session = try PostgresSession(url: url, configuration: configuration)
        do { try migrate(create: create, readOnly: readOnly) } catch {
            close()
            throw error
        }
    }

    /// `init(url:)` with its errors typed: every one is a CatalogError.
    public static func open(url: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            create: Bool = true, readOnly: Bool = false) throws(CatalogError) -> PostgresCatalog {
        do { return try PostgresCatalog(url: url, environment: environment, create: create, readOnly: readOnly) } catch let e as CatalogError { throw e } catch {
            throw CatalogError(path: CatalogLocation.maskingPassword(url), kind: .cannotOpen, message: "\(error)", cause: error)
        }
    }

    /// Closes the connection and stops its event loop (idempotent).
    public func close() {
        session.close()
    }

    /// The names of the migrations the database has recorded, in the order applied.
    public func appliedMigrations() throws(CatalogError) -> [String] {
        try catching { try rows("SELECT identifier FROM tidemark_migrations ORDER BY applied, identifier").map { try $0.decode(String.self) } }
    }

    /// The migrations this build knows, in order.
    public static var knownMigrations: [String] { PostgresSchema.migrations.map(\.name) }

    // MARK: - Migrations

    /// Brings the schema up to date in one transaction, under a transaction-scoped advisory
    /// lock so two first uses at once do not both create it. A catalog already up to date is
    /// only read (a role that may only SELECT can open it, and a query starts sooner).
    private func migrate(create: Bool, readOnly: Bool) throws {
        if try rows("SELECT to_regclass('tidemark_migrations') IS NOT NULL")[0].decode(Bool.self),
           try upToDate(Set(try rows("SELECT identifier FROM tidemark_migrations").map { try $0.decode(String.self) })) {
            return
        }
        try execute("BEGIN")
        do {
            try execute("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))")
            if !create, try rows("SELECT to_regclass('tidemark_migrations') IS NULL").first?.decode(Bool.self) == true {
                throw CatalogError(path: url.masked, kind: .cannotOpen, message: """
                    no catalog here yet (the database holds none); run `tidemark scan` first, or `tidemark catalog copy` into it, \
                    or name another with --db
                    """)
            }
            try execute("CREATE TABLE IF NOT EXISTS tidemark_migrations (identifier text PRIMARY KEY, applied bigint NOT NULL)")
            let applied = Set(try rows("SELECT identifier FROM tidemark_migrations").map { try $0.decode(String.self) })
            if !(try upToDate(applied)), readOnly {
                throw CatalogError(path: url.masked, kind: .olderSchema, message: """
                    this catalog was written by an older Tidemark; run `tidemark scan` once to bring it up to date
                    """)
            }
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            for (order, m) in PostgresSchema.migrations.enumerated() where !applied.contains(m.name) {
                for statement in m.statements { try execute(PostgresQuery(unsafeSQL: statement)) }
                // Applied in order within one transaction: `applied` keeps that order.
                try execute("INSERT INTO tidemark_migrations (identifier, applied) VALUES (\(m.name), \(now + Int64(order)))")
            }
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Whether `applied` holds every migration this build knows; a newer schema throws.
    private func upToDate(_ applied: Set<String>) throws -> Bool {
        if let unknown = applied.subtracting(Self.knownMigrations).sorted().last {
            throw CatalogError(path: url.masked, kind: .newerSchema, message: """
                written by a newer Tidemark (it has the schema change '\(unknown)', which this Tidemark does not know); \
                upgrade Tidemark to read or write this catalog
                """)
        }
        return applied.isSuperset(of: Self.knownMigrations)
    }

    /// An arbitrary constant naming the migration lock among the server's advisory locks.
    static let migrationLockKey: Int64 = 0x7469_6465_6d61_726b  // "tidemark"

    // MARK: - Statements

    /// Runs one statement, waiting for it.
    func execute(_ query: PostgresQuery) throws(CatalogError) {
        _ = try rows(query)
    }

    /// Runs one statement and returns its rows.
    func rows(_ query: PostgresQuery) throws(CatalogError) -> [PostgresRow] {
        try session.rows(query)
    }

    /// A new session on the same server, apart from the catalog's own.
    func newSession() throws(CatalogError) -> PostgresSession {
        try PostgresSession(url: url, configuration: configuration)
    }

    /// Runs `body`, its errors (a value that does not decode) as CatalogErrors.
    func catching<T>(_ body: () throws -> T) throws(CatalogError) -> T {
        do { return try body() } catch { throw PostgresErrorMapping.catalogError(error, url: url, connecting: false) }
    }

    private static func tls(_ mode: PostgresURL.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        var config = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return .disable
        case .prefer:
            config.certificateVerification = .none
            return .prefer(try NIOSSLContext(configuration: config))
        case .require:
            config.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: config))
        case .verifyFull:
            return .require(try NIOSSLContext(configuration: config))
        }
    }
}
