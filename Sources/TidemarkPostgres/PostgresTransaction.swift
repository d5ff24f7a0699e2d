import Foundation
import PostgresNIO
import TidemarkCore

extension PostgresCatalog {
    /// How a transaction reads and whether it writes.
    enum TransactionMode: String {
        /// Journal and catalog writes: each statement sees what is committed when it starts;
        /// rows it changes are locked until the end.
        case write = "BEGIN ISOLATION LEVEL READ COMMITTED"
        /// A plan's read: one snapshot for every statement, and nothing written.
        case snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    }

    /// Runs `body` in one transaction on the catalog's connection, committed when it returns
    /// and rolled back when it throws. A transaction that lost a serialization race or a
    /// deadlock (it changed nothing) is run again, up to `attempts` times; past that it is a
    /// CatalogError of kind serializationFailure that says so.
    /// Inside another transaction (a snapshot's reads call helpers that open their own),
    /// `body` runs as part of it.
    func transaction<T>(_ mode: TransactionMode, attempts: Int = 4, _ body: () throws -> T) throws(CatalogError) -> T {
        transactions.lock.lock()
        defer { transactions.lock.unlock() }
        if transactions.depth > 0 {
            do { return try body() } catch {
                throw error as? CatalogError ?? PostgresErrorMapping.catalogError(error, url: url, connecting: false)
            }
        }
        transactions.depth += 1
        defer { transactions.depth -= 1 }
        var attempt = 1
        while true {
            do {
                try execute(PostgresQuery(unsafeSQL: mode.rawValue))
                let value = try body()
                try execute("COMMIT")
                return value
            } catch {
                try? execute("ROLLBACK")
                let e = error as? CatalogError ?? PostgresErrorMapping.catalogError(error, url: url, connecting: false)
                guard e.kind == .serializationFailure else { throw e }
                guard attempt < attempts else {
                    throw CatalogError(path: url.masked, kind: .serializationFailure, message: """
                        another writer changed the same rows at the same time \(attempts) times in a row, and nothing of this \
                        transaction was committed; run the command again (\(e.message))
                        """, cause: e.cause)
                }
                attempt += 1
                // A short, growing pause lets the other writer finish.
                usleep(UInt32(10_000 * attempt))
            }
        }
    }

    /// Runs one statement and hands each row's cells to `body`.
    func each(_ query: PostgresQuery, _ body: (Cells) throws -> Void) throws {
        for row in try rows(query) { try body(Cells(row.makeRandomAccess(), url: url)) }
    }

    /// Steps through `sql`'s rows a batch at a time through a cursor of the current
    /// transaction (there must be one); `body` returns false to stop (see PostgresSession.cursor).
    func cursor(_ sql: String, _ body: (Cells) throws -> Bool) throws {
        try session.cursor(sql, batch: rowsPerFetch, body)
    }

    /// Rows a cursor hands over at a time: a plan over millions of files holds this many
    /// rows of them at once, not all. (Tests make it small, so every read takes several.)
    public var rowsPerFetch: Int {
        get { transactions.lock.withLock { transactions.rowsPerFetch } }
        set { transactions.lock.withLock { transactions.rowsPerFetch = max(1, newValue) } }
    }

    /// The first row's cells, if any.
    func first(_ query: PostgresQuery) throws -> Cells? {
        try rows(query).first.map { Cells($0.makeRandomAccess(), url: url) }
    }
}

/// One result row's columns by position, decoded as the catalog stores them: bigint and
/// integer as Int64, bytea as bytes, text as String.
struct Cells {
    let row: PostgresRandomAccessRow
    let url: PostgresURL

    init(_ row: PostgresRandomAccessRow, url: PostgresURL) { self.row = row; self.url = url }

    func isNull(_ i: Int) -> Bool { row[i].bytes == nil }

    func int(_ i: Int) throws -> Int64 { try decoded(i, Int64.self) }
    func optionalInt(_ i: Int) throws -> Int64? { try decoded(i, Int64?.self) }
    func text(_ i: Int) throws -> String { try decoded(i, String.self) }
    func optionalText(_ i: Int) throws -> String? { try decoded(i, String?.self) }
    func bytes(_ i: Int) throws -> PathBytes {
        guard let b = row[i].bytes else { throw bad(i, "NULL") }
        return PathBytes(b.readableBytesView)
    }

    private func decoded<T: PostgresDecodable>(_ i: Int, _ type: T.Type) throws -> T {
        do { return try row[i].decode(T.self) } catch { throw bad(i, "\(error)") }
    }

    private func bad(_ i: Int, _ why: String) -> CatalogError {
        CatalogError(path: url.masked, kind: .corrupt, message: "column \(row[i].columnName) holds an unexpected value (\(why))")
    }
}

/// Who is in a transaction on a catalog's connection: held for the transaction's whole
/// length, so no other thread's statement lands in it.
final class TransactionState: @unchecked Sendable {  // guarded by `lock`
    let lock = NSRecursiveLock()
    /// Transactions open on this thread (nested ones run inside the outermost).
    var depth = 0
    /// See `PostgresCatalog.rowsPerFetch`.
    var rowsPerFetch = 5000
}

extension PostgresSession {
    /// Steps through `sql`'s rows `batch` at a time through a cursor of the current
    /// transaction (there must be one); `body` returns false to stop. Other statements may
    /// run between batches, and so may another cursor. `sql` is declared as text: it must
    /// hold literals only, never text from outside.
    func cursor(_ sql: String, batch: Int, _ body: (Cells) throws -> Bool) throws {
        let name = "tidemark_cursor_\(Self.cursors.next())"
        try execute(PostgresQuery(unsafeSQL: "DECLARE \(name) NO SCROLL CURSOR FOR \(sql)"))
        defer { try? execute(PostgresQuery(unsafeSQL: "CLOSE \(name)")) }
        while true {
            let rows = try rows(PostgresQuery(unsafeSQL: "FETCH FORWARD \(batch) FROM \(name)"))
            for row in rows where try !body(Cells(row.makeRandomAccess(), url: url)) { return }
            if rows.count < batch { return }
        }
    }

    /// Numbers the cursors, so that two open at once have two names.
    private static let cursors = Counter()
}

/// A number that grows by one at each call, from any thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
