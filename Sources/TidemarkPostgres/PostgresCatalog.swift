import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import TidemarkCore

/// A catalog on a PostgreSQL server. Synchronous, as the store protocols are: it owns one
/// connection on its own one-thread event loop and waits on it from the calling thread
/// (never from an event-loop thread). Opening connects and brings the schema up to date
/// through the named migrations (PostgresSchema), creating it on first use; a server with a
/// migration this build does not know is refused (CatalogError kind newerSchema).
public final class PostgresCatalog: @unchecked Sendable {
    /// The catalog's address; its `masked` form is what messages show.
    public let url: PostgresURL
    private let group: MultiThreadedEventLoopGroup
    private let connection: PostgresConnection
    /// How to reach the server, for the further connections a scan opens (one per walker).
    let configuration: PostgresConnection.Configuration
    // postgres-nio logs through swift-log; the library never prints.
    private let logger = Logger(label: "tidemark.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    private var closed = false

    /// Connects to `text` (a postgres:// URL) and migrates; every failure is a CatalogError
    /// whose message shows the URL with its password masked.
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let url = try PostgresURL(text, environment: environment)
        self.url = url
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let config = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.resolvedPassword(environment: environment),
                database: url.database, tls: try Self.tls(url.tls))
            configuration = config
            connection = try PostgresConnection.connect(on: group.next(), configuration: config, id: 1, logger: logger).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: true)
        }
        do { try migrate() } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Closes the connection and stops its event loop (idempotent).
    public func close() {
        guard !closed else { return }
        closed = true
        try? connection.close().wait()
        try? group.syncShutdownGracefully()
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
    func execute(_ query: PostgresQuery) throws {
        _ = try rows(query)
    }

    /// Runs one statement and returns its rows.
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
        do { return try connection.query(query, logger: logger).wait().rows } catch {
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: false)
        }
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
