import Foundation

/// Read-only connections for the queries a server answers thousands of times a second, each
/// with its statements prepared once (see ReadConnection: no pool checkout, no schema check
/// per read). A query takes an idle connection, or opens one when every one is busy, and
/// gives it back; a connection is never used by two threads at once.
final class QueryReaders: @unchecked Sendable {
    /// One connection and the statements prepared on it, by SQL text.
    final class Reader {
        let connection: ReadConnection
        private var statements: [String: ReadConnection.Statement] = [:]

        init(_ connection: ReadConnection) { self.connection = connection }

        /// `sql` prepared on this connection (once).
        func statement(_ sql: String) throws(CatalogError) -> ReadConnection.Statement {
            if let s = statements[sql] { return s }
            let s = try ReadConnection.Statement(connection, sql: sql)
            // Queries differ only by their filters: a bound on what stays prepared.
            if statements.count >= 64 { statements.removeAll() }
            statements[sql] = s
            return s
        }
    }

    private let path: String, uri: String?, mapped: Bool
    private let lock = NSLock()
    private var idle: [Reader] = []
    /// Idle connections kept; more busy at once are opened and closed as needed.
    private static let kept = 8

    /// Readers of the catalog at `path` (opened as `uri` when given); `mapped`: read through
    /// a memory map, as the read-only pool reads.
    init(path: String, uri: String?, mapped: Bool) { self.path = path; self.uri = uri; self.mapped = mapped }

    /// Runs `body` with a reader of its own.
    func with<T>(_ body: (Reader) throws(CatalogError) -> T) throws(CatalogError) -> T {
        lock.lock()
        let taken = idle.popLast()
        lock.unlock()
        let reader: Reader
        if let taken { reader = taken } else { reader = try open() }
        defer {
            lock.lock()
            if idle.count < Self.kept { idle.append(reader) }
            lock.unlock()
        }
        return try body(reader)
    }

    private func open() throws(CatalogError) -> Reader {
        let c = try ReadConnection(path: path, uri: uri)
        try c.execute("PRAGMA cache_size = -65536" + (mapped ? "; PRAGMA mmap_size = 2147418112" : ""))
        return Reader(c)
    }
}
