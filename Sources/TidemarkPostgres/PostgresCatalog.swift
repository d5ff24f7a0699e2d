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
    /// How to reach the server: each run lock opens its own session with it.
    let configuration: PostgresConnection.Configuration
    /// The catalog's own connection.
    let session: PostgresSession

    /// Connects to `text` (a postgres:// URL) and migrates; every failure is a CatalogError
    /// whose message shows the URL with its password masked.
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let url = try PostgresURL(text, environment: environment)
        self.url = url
        do {
            configuration = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.resolvedPassword(environment: environment),
                database: url.database, tls: try Self.tls(url.tls))
        } catch {
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: true)
        }
        session = try PostgresSession(url: url, configuration: configuration)
        do { try migrate() } catch {
            close()
            throw error
        }
    }

    /// Closes the connection and stops its event loop (idempotent).
    public func close() {
        session.close()
    }

    /// The names of the migrations the database has recorded, in the order applied.
    public func appliedMigrations() throws -> [String] {
        try rows("SELECT identifier FROM tidemark_migrations ORDER BY applied, identifier").map { try $0.decode(String.self) }
    }

    /// The migrations this build knows, in order.
    public static var knownMigrations: [String] { PostgresSchema.migrations.map(\.name) }

    // MARK: - Migrations

    /// Brings the schema up to date in one transaction, under a transaction-scoped advisory
    /// lock so two first uses at once do not both create it.
    private func migrate() throws {
        try execute("BEGIN")
        do {
            try execute("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))")
            try execute("CREATE TABLE IF NOT EXISTS tidemark_migrations (identifier text PRIMARY KEY, applied bigint NOT NULL)")
            let applied = Set(try rows("SELECT identifier FROM tidemark_migrations").map { try $0.decode(String.self) })
            let known = Set(Self.knownMigrations)
            if let unknown = applied.subtracting(known).sorted().last {
                throw CatalogError(path: url.masked, kind: .newerSchema, message: """
                    written by a newer Tidemark (it has the schema change '\(unknown)', which this Tidemark does not know); \
                    upgrade Tidemark to read or write this catalog
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
