import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import TidemarkCore

/// One more connection to a catalog's server, used synchronously by one thread at a time (a
/// scan's walker, its writer, a stream reader): the caller waits on the connection's event
/// loop, never runs on it. Errors come out as `CatalogError`s, the password masked.
final class PostgresSession: @unchecked Sendable {  // one thread at a time
    let url: PostgresURL
    private let connection: PostgresConnection
    private let logger = Logger(label: "tidemark.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    private var closed = false
    /// Runs the async calls (`COPY`) on the connection's own event loop: the cooperative pool
    /// may be taken by blocked callers (a test runner's threads waiting on a scan).
    private let executor: LoopExecutor

    /// Connects on `loop` with the catalog's configuration.
    init(url: PostgresURL, configuration: PostgresConnection.Configuration, on loop: any EventLoop, id: Int) throws(CatalogError) {
        self.url = url
        executor = LoopExecutor(loop)
        do {
            connection = try PostgresConnection.connect(on: loop, configuration: configuration, id: id,
                                                        logger: Logger(label: "tidemark.postgres", factory: { _ in SwiftLogNoOpLogHandler() })).wait()
        } catch {
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: true)
        }
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        try? connection.close().wait()
    }

    /// Runs one statement and returns its rows.
    func rows(_ query: PostgresQuery) throws(CatalogError) -> [PostgresRow] {
        do { return try connection.query(query, logger: logger).wait().rows } catch {
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: false)
        }
    }

    /// Runs one statement, handing each row to `onRow` as it arrives (on the connection's
    /// event loop: `onRow` must be quick and must not block).
    func forEachRow(_ query: PostgresQuery, _ onRow: @escaping @Sendable (PostgresRow) throws -> Void) throws(CatalogError) {
        do { _ = try connection.query(query, logger: logger, onRow).wait() } catch {
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: false)
        }
    }

    /// Runs one statement.
    func execute(_ query: PostgresQuery) throws(CatalogError) { _ = try rows(query) }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(CatalogError) -> T) throws(CatalogError) -> T {
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

    /// `COPY table (columns) FROM STDIN` in text format, of rows already encoded (see `CopyText`).
    func copy(into table: String, columns: [String], _ data: ByteBuffer) throws(CatalogError) {
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let connection = self.connection, logger = self.logger
        Task(executorPreference: executor) {
            do {
                try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in try await writer.write(data) }
            } catch {
                outcome.error = error
            }
            done.signal()
        }
        done.wait()
        if let e = outcome.error { throw PostgresErrorMapping.catalogError(e, url: url, connecting: false) }
    }

    private final class Outcome: @unchecked Sendable {  // written before the signal, read after the wait
        var error: (any Error)?
    }
}

/// A task executor that runs jobs on one event loop.
private final class LoopExecutor: TaskExecutor, @unchecked Sendable {  // immutable
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Rows for `COPY … FROM STDIN` in PostgreSQL's text format: fields separated by tabs,
/// `\N` for NULL, backslash escapes, `bytea` as `\\x` and hex digits.
struct CopyText {
    private(set) var buffer = ByteBufferAllocator().buffer(capacity: 1 << 16)
    private var fieldsInRow = 0

    var isEmpty: Bool { buffer.readableBytes == 0 }

    mutating func int(_ v: Int64) {
        separate()
        buffer.writeString(String(v))
    }

    mutating func int(_ v: Int64?) {
        if let v { int(v) } else { null() }
    }

    mutating func null() {
        separate()
        buffer.writeStaticString("\\N")
    }

    mutating func text(_ v: String?) {
        separate()
        guard let v else { buffer.writeStaticString("\\N"); return }
        for b in v.utf8 {
            switch b {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(b)
            }
        }
    }

    mutating func bytes(_ v: PathBytes) {
        separate()
        buffer.writeStaticString("\\\\x")
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { hex in
            for b in v {
                buffer.writeInteger(hex[Int(b >> 4)])
                buffer.writeInteger(hex[Int(b & 15)])
            }
        }
    }

    /// Ends the row.
    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        fieldsInRow = 0
    }

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        fieldsInRow += 1
    }
}

extension PostgresCell {
    /// A non-NULL `bigint` (binary format), 0 when NULL.
    var int64: Int64 { bytes.flatMap { $0.getInteger(at: $0.readerIndex, as: Int64.self) } ?? 0 }
    /// A `bigint` or `integer` that may be NULL (binary format).
    var optionalInt: Int64? {
        guard let b = bytes else { return nil }
        switch b.readableBytes {
        case 8: return b.getInteger(at: b.readerIndex, as: Int64.self)
        case 4: return b.getInteger(at: b.readerIndex, as: Int32.self).map(Int64.init)
        case 2: return b.getInteger(at: b.readerIndex, as: Int16.self).map(Int64.init)
        default: return nil
        }
    }
    /// A `bytea`'s bytes (empty when NULL).
    var byteArray: PathBytes { bytes.map { Array($0.readableBytesView) } ?? [] }
    /// A `text` (nil when NULL).
    var string: String? { bytes.map { String(buffer: $0) } }
}

extension ByteBuffer {
    /// The bytes of a path, to bind as `bytea`.
    init(path: PathBytes) { self = ByteBufferAllocator().buffer(capacity: path.count); writeBytes(path) }
}
