import Foundation
import NIOCore
import PostgresNIO
import TidemarkCore

// The PostgreSQL adapter of `CatalogTables`: whole tables for `catalog copy`, found in the
// server's catalog (information_schema, pg_constraint, pg_index); rows read through a
// cursor in one repeatable-read transaction and written with COPY.

extension PostgresCatalog: CatalogTables {
    public func tableShapes() throws(CatalogError) -> [TableShape] {
        try catching { try shapes() }
    }

    private func shapes() throws -> [TableShape] {
        let names = try rows("""
            SELECT table_name::text FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'tidemark_migrations'
            ORDER BY table_name
            """).map { try $0.decode(String.self) }
        var references: [String: [String]] = [:]
        for r in try rows("""
            SELECT DISTINCT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
            WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
            """) {
            let (from, to) = try r.decode((String, String).self)
            if from != to { references[from.trimmingCharacters(in: ["\""]), default: []].append(to.trimmingCharacters(in: ["\""])) }
        }
        return try names.map { name in
            let columns = try rows("""
                SELECT column_name::text FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = \(name) ORDER BY ordinal_position
                """).map { try $0.decode(String.self) }
            return TableShape(name: name, columns: columns, references: (references[name] ?? []).sorted())
        }
    }

    public func readRows(of tables: [TableShape], batch: Int, _ body: (TableShape, [[TableValue]]) throws -> Void) throws(CatalogError) {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
            for t in tables {
                // Key order; a table without a primary key in its physical order (as written).
                let key = try rows("""
                    SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                    WHERE i.indrelid = \(Self.quoted(t.name))::regclass AND i.indisprimary
                    ORDER BY array_position(i.indkey::int2[], a.attnum)
                    """).map { try $0.decode(String.self) }
                let order = key.isEmpty ? "ctid" : key.map(Self.quoted).joined(separator: ", ")
                try execute(PostgresQuery(unsafeSQL: """
                    DECLARE tidemark_copy NO SCROLL CURSOR FOR
                    SELECT \(t.columns.map(Self.quoted).joined(separator: ", ")) FROM \(Self.quoted(t.name)) ORDER BY \(order)
                    """))
                while true {
                    let fetched = try rows(PostgresQuery(unsafeSQL: "FETCH \(batch) FROM tidemark_copy"))
                    if fetched.isEmpty { break }
                    try body(t, try fetched.map { row in try row.map(TableValue.init(cell:)) })
                    if fetched.count < batch { break }
                }
                try execute("CLOSE tidemark_copy")
            }
        }
    }

    public func load(_ body: (any TableLoader) throws -> Void) throws(CatalogError) {
        try transaction("BEGIN") {
            try body(PostgresTableLoader(catalog: self))
            // Identity columns go on past the copied ids.
            for r in try rows("""
                SELECT table_name::text, column_name::text FROM information_schema.columns
                WHERE table_schema = current_schema() AND is_identity = 'YES'
                """) {
                let (table, column) = try r.decode((String, String).self)
                try execute(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(Self.quoted(table))', '\(column)'), coalesce(max(\(Self.quoted(column))), 0) + 1, false)
                    FROM \(Self.quoted(table))
                    """))
            }
        }
        // The planner's statistics, for the queries that follow.
        try execute("ANALYZE")
    }

    /// Runs `body` between `begin` and COMMIT, rolling back when it throws.
    func transaction(_ begin: PostgresQuery, _ body: () throws -> Void) throws(CatalogError) {
        try execute(begin)
        do {
            try body()
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: false)
        }
    }

    /// `COPY table (columns) FROM STDIN` of `data` (text format), waiting for it.
    func copyIn(_ table: String, columns: [String], data: ByteBuffer) throws(CatalogError) {
        let connection = session.connection, logger = PostgresSession.logger
        do {
            try waitFor {
                try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                    var rest = data
                    while rest.readableBytes > 0 {
                        // Messages of at most a megabyte.
                        try await writer.write(rest.readSlice(length: min(rest.readableBytes, 1 << 20))!)
                    }
                }
            }
        } catch {
            throw PostgresErrorMapping.catalogError(error, url: url, connecting: false)
        }
    }

    /// An identifier quoted for SQL (names come from the schema, never from input).
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

/// Runs an async operation from a synchronous caller (never an event-loop thread) and waits.
func waitFor(_ operation: @escaping @Sendable () async throws -> Void) throws {
    final class Outcome: @unchecked Sendable { var error: (any Error)? }
    let outcome = Outcome(), done = DispatchSemaphore(value: 0)
    Task {
        do { try await operation() } catch { outcome.error = error }
        done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
}

/// Writes rows with COPY (text format), knowing which columns are bytea.
private final class PostgresTableLoader: TableLoader {
    let catalog: PostgresCatalog
    private var byteaColumns: [String: Set<String>] = [:]

    init(catalog: PostgresCatalog) { self.catalog = catalog }

    func append(_ table: String, columns: [String], rows: [[TableValue]]) throws {
        let bytea = try byteaColumns(of: table)
        let isBytea = columns.map { bytea.contains($0) }
        var buffer = ByteBufferAllocator().buffer(capacity: rows.count * 128)
        for row in rows {
            for (i, value) in row.enumerated() {
                if i > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                value.writeCopyText(to: &buffer, asBytea: isBytea[i])
            }
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        try catalog.copyIn(table, columns: columns, data: buffer)
    }

    func count(_ table: String) throws -> Int {
        Int(try catalog.rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(PostgresCatalog.quoted(table))"))[0].decode(Int64.self))
    }

    private func byteaColumns(of table: String) throws -> Set<String> {
        if let known = byteaColumns[table] { return known }
        let names = Set(try catalog.rows("""
            SELECT column_name::text FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(table) AND data_type = 'bytea'
            """).map { try $0.decode(String.self) })
        byteaColumns[table] = names
        return names
    }
}

extension TableValue {
    /// The value of a result cell, by its type.
    init(cell: PostgresCell) throws {
        guard cell.bytes != nil else { self = .null; return }
        switch cell.dataType {
        case .int8: self = .integer(try cell.decode(Int64.self))
        case .int4: self = .integer(Int64(try cell.decode(Int32.self)))
        case .int2: self = .integer(Int64(try cell.decode(Int16.self)))
        case .bool: self = .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float8, .float4, .numeric: self = .real(try cell.decode(Double.self))
        case .bytea: self = .blob(Array(try cell.decode(ByteBuffer.self).readableBytesView))
        default: self = .text(try cell.decode(String.self))
        }
    }

    /// The value in COPY's text format: `\N` for null, backslash escapes in text, bytea as
    /// hex (a text value bound for a bytea column as its UTF-8 bytes).
    func writeCopyText(to buffer: inout ByteBuffer, asBytea: Bool) {
        switch self {
        case .null: buffer.writeString("\\N")
        case .integer(let v): buffer.writeDecimal(v)
        case .real(let v):
            buffer.writeString(v.isNaN ? "NaN" : v.isInfinite ? (v < 0 ? "-Infinity" : "Infinity") : "\(v)")
        case .text(let s):
            if asBytea { buffer.writeCopyHex(s.utf8) } else { buffer.writeCopyEscaped(s.utf8) }
        case .blob(let b):
            if asBytea { buffer.writeCopyHex(b) } else { buffer.writeCopyEscaped(String(decoding: b, as: UTF8.self).utf8) }
        }
    }
}
