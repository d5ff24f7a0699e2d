import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization
import TidemarkCore

/// One connection to the server — one session, whose advisory locks live exactly as long as
/// it does — on its own one-thread event loop, waited on from the calling thread (never from
/// an event-loop thread). The catalog has one; each run lock has its own.
final class PostgresSession: Sendable {
    let url: PostgresURL
    let connection: PostgresConnection
    private let group: MultiThreadedEventLoopGroup
    private let closed = Mutex(false)
    // One statement or transaction at a time: a thread's BEGIN … COMMIT must not take in
    // another thread's statements.
    private let serial = NSRecursiveLock()
    // postgres-nio logs through swift-log; the library never prints.
    static let logger = Logger(label: "tidemark.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Connects; a failure is a CatalogError whose message shows the URL with its password masked.
    init(url: PostgresURL, configuration: PostgresConnection.Configuration) throws(CatalogError) {
        self.url = url
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            connection = try PostgresConnection.connect(on: group.next(), configuration: configuration, id: 1, logger: Self.logger).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: true)
        }
    }

    deinit { close() }

    /// Closes the connection (ending the session and freeing its advisory locks) and stops
    /// its event loop (idempotent).
    func close() {
        guard closed.withLock({ was in defer { was = true }; return !was }) else { return }
        try? connection.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Runs one statement and returns its rows.
    func rows(_ query: PostgresQuery) throws(CatalogError) -> [PostgresRow] {
        serial.lock()
        defer { serial.unlock() }
        do { return try connection.query(query, logger: Self.logger).wait().rows } catch {
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: false)
        }
    }

    /// Runs `body` in one transaction, which commits when it returns and rolls back when it
    /// throws; other threads' statements wait until it ends.
    func transaction<T>(_ body: () throws(CatalogError) -> T) throws(CatalogError) -> T {
        serial.lock()
        defer { serial.unlock() }
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs one statement, waiting for it.
    func execute(_ query: PostgresQuery) throws(CatalogError) {
        _ = try rows(query)
    }
}
