import Foundation
import NIOCore
import PostgresNIO
import Synchronization
import TidemarkCore

// What a scan needs of a session beyond single statements: rows handed over as they
// arrive, and `COPY … FROM STDIN`.

extension PostgresSession {
    /// `COPY table (columns) FROM STDIN` in text format, of rows already encoded (see `CopyText`).
    /// postgres-nio's COPY is async: it runs on the connection's own event loop (the
    /// cooperative pool may be taken by blocked callers, such as a test runner's threads
    /// waiting on a scan), and this thread waits for it.
    func copy(into table: String, columns: [String], _ data: ByteBuffer) throws(CatalogError) {
        try startCopy(into: table, columns: columns, data, thenCommit: false).wait()
    }

    /// Starts `copy(into:columns:_:)` and, when `thenCommit`, the COMMIT of the transaction it
    /// is in (a ROLLBACK if the COPY fails), without waiting: nothing else may use the session
    /// until the returned copy's `wait()` has returned.
    func startCopy(into table: String, columns: [String], _ data: ByteBuffer, thenCommit: Bool) -> CopyUnderWay {
        let underWay = CopyUnderWay(url: url)
        let connection = self.connection
        Task(executorPreference: LoopExecutor(connection.eventLoop)) {
            do {
                try await connection.copyFrom(table: table, columns: columns, logger: Self.logger) { writer in try await writer.write(data) }
                if thenCommit { _ = try await connection.query("COMMIT", logger: Self.logger) }
            } catch {
                underWay.outcome.withLock { $0 = error }
                if thenCommit { _ = try? await connection.query("ROLLBACK", logger: Self.logger) }
            }
            underWay.done.signal()
        }
        return underWay
    }
}

/// A COPY (and maybe its transaction's end) running on a session's event loop.
final class CopyUnderWay: Sendable {
    fileprivate let outcome = Mutex<(any Error)?>(nil)
    fileprivate let done = DispatchSemaphore(value: 0)
    private let url: PostgresURL

    fileprivate init(url: PostgresURL) { self.url = url }

    /// Waits until it has ended; throws what failed (call once).
    func wait() throws(CatalogError) {
        done.wait()
        if let e = outcome.withLock({ $0 }) { throw PostgresErrorMapping.catalogError(e, url: url, connecting: false) }
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
        buffer.writeDecimal(v)
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
        buffer.writeCopyEscaped(v.utf8)
    }

    mutating func bytes(_ v: PathBytes) {
        separate()
        buffer.writeCopyHex(v)
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
    /// Writes `bytes` as a text field of COPY's text format: backslash, tab, newline and
    /// carriage return escaped.
    mutating func writeCopyEscaped(_ bytes: some Sequence<UInt8>) {
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"): writeStaticString("\\\\")
            case UInt8(ascii: "\t"): writeStaticString("\\t")
            case UInt8(ascii: "\n"): writeStaticString("\\n")
            case UInt8(ascii: "\r"): writeStaticString("\\r")
            default: writeInteger(b)
            }
        }
    }

    /// Writes `bytes` as a `bytea` field of COPY's text format: `\\x` and hex digits.
    mutating func writeCopyHex(_ bytes: some Collection<UInt8>) {
        writeStaticString("\\\\x")
        writeWithUnsafeMutableBytes(minimumWritableBytes: 2 * bytes.count) { out in
            var i = 0
            for b in bytes {
                out[i] = Self.hexDigits[Int(b >> 4)]
                out[i + 1] = Self.hexDigits[Int(b & 15)]
                i += 2
            }
            return i
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes `v` in decimal digits (the scan's COPY writes millions: no String made for each).
    mutating func writeDecimal(_ v: Int64) {
        var magnitude = v.magnitude
        writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { out in
            // Digits from the last; 20 hold any Int64, its sign included.
            var at = 20
            repeat {
                at -= 1
                out[at] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if v < 0 { at -= 1; out[at] = UInt8(ascii: "-") }
            let n = 20 - at
            if at > 0 { out.baseAddress!.copyMemory(from: out.baseAddress! + at, byteCount: n) }
            return n
        }
    }

    /// The bytes of a path, to bind as `bytea`.
    init(path: PathBytes) { self = ByteBufferAllocator().buffer(capacity: path.count); writeBytes(path) }
}
