import Foundation
import TidemarkCore

/// What `catalog copy` did: the rows of each table, checked on the destination.
public struct CatalogCopyReport: Sendable {
    public struct Table: Sendable {
        public var name: String
        public var rows: Int
    }
    public var from: String
    public var to: String
    /// In the order they were written (referenced tables first).
    public var tables: [Table]
    public var seconds: Double
}

/// Copies a whole catalog between stores (SQLite ↔ PostgreSQL, or the same kind): every
/// table of the schema, ids kept, in one transaction on the destination, which must be
/// empty and at the same schema changes as the source; the destination's row counts are
/// checked against the rows read before it commits.
public enum CatalogCopy {
    /// Rows per batch read and written.
    static let batch = 20_000

    /// Copies the catalog at `from` into the one at `to` (created if need be: a SQLite file
    /// this call created is removed again when the copy fails).
    public static func run(from: CatalogLocation, to: CatalogLocation,
                           progress: (CatalogCopyReport.Table) -> Void = { _ in }) throws(CatalogError) -> CatalogCopyReport {
        guard from != to else {
            throw CatalogError(path: to.masked, kind: .other, message: "is both the source and the destination; copy into a new, empty catalog")
        }
        var created: String?
        if case .sqlite(let path) = to, !FileManager.default.fileExists(atPath: path) { created = path }
        do throws(CatalogError) {
            let source = try open(from, destination: false)
            let destination = try open(to, destination: true)
            return try copy(from: source, to: destination, progress: progress)
        } catch {
            if let created { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: created + suffix) } }
            throw error
        }
    }

    /// Opens a catalog by location: the source read-only (a SQLite catalog at another schema
    /// is refused), the destination created and migrated if need be.
    static func open(_ location: CatalogLocation, destination: Bool) throws(CatalogError) -> any CatalogTables {
        switch location {
        case .sqlite(let path): return try SQLiteCatalog(path: path, create: destination, readOnly: !destination)
        case .postgres(let url): return try PostgresCatalog.open(url: url)
        }
    }

    /// Copies `source` into `destination`; `progress` hears each table as it is done.
    public static func copy(from source: any CatalogTables, to destination: any CatalogTables,
                            progress: (CatalogCopyReport.Table) -> Void = { _ in }) throws(CatalogError) -> CatalogCopyReport {
        let started = Date()
        // A store's own migrations (how it keeps the data) are not asked of the other store.
        let fromMigrations = try source.appliedMigrations().filter { !PostgresSchema.storeOnly.contains($0) }
        let toMigrations = try destination.appliedMigrations().filter { !PostgresSchema.storeOnly.contains($0) }
        if Set(fromMigrations) != Set(toMigrations) {
            let missing = Set(fromMigrations).subtracting(toMigrations).sorted(), extra = Set(toMigrations).subtracting(fromMigrations).sorted()
            throw CatalogError(path: destination.path, kind: .newerSchema, message: """
                is not at the source's schema (\(missing.isEmpty ? "" : "the source has \(missing.map { "'\($0)'" }.joined(separator: ", ")), unknown here")\
                \(missing.isEmpty || extra.isEmpty ? "" : "; ")\(extra.isEmpty ? "" : "the source lacks \(extra.map { "'\($0)'" }.joined(separator: ", "))")); \
                open both with the same Tidemark (a write such as `tidemark scan` brings an older catalog up to date) and copy again
                """)
        }
        let tables = try ordered(try matchedShapes(source: source, destination: destination), path: destination.path)
        var report = CatalogCopyReport(from: source.path, to: destination.path, tables: [], seconds: 0)
        try destination.load { loader in
            for t in tables where try loader.count(t.name) > 0 {
                throw CatalogError(path: destination.path, kind: .other, message: """
                    already holds data (table \(t.name) has rows); copy into a new, empty catalog \
                    (a new SQLite file, or a new PostgreSQL database: createdb NAME)
                    """)
            }
            var read: [String: Int] = [:]
            try source.readRows(of: tables, batch: batch) { t, rows in
                try loader.append(t.name, columns: t.columns, rows: rows)
                read[t.name, default: 0] += rows.count
            }
            for t in tables {
                let written = try loader.count(t.name), expected = read[t.name] ?? 0
                guard written == expected else {
                    throw CatalogError(path: destination.path, kind: .other, message: """
                        table \(t.name) holds \(written) rows after the copy, but \(expected) were read from \(source.path); \
                        nothing was kept (the copy was rolled back)
                        """)
                }
                let done = CatalogCopyReport.Table(name: t.name, rows: written)
                report.tables.append(done)
                progress(done)
            }
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// The source's tables, refused unless the destination has the same tables and columns.
    private static func matchedShapes(source: any CatalogTables, destination: any CatalogTables) throws(CatalogError) -> [TableShape] {
        let from = try source.tableShapes(), to = Dictionary(uniqueKeysWithValues: try destination.tableShapes().map { ($0.name, $0) })
        var out: [TableShape] = []
        for t in from {
            guard let d = to[t.name] else {
                throw CatalogError(path: destination.path, kind: .other, message: """
                    has no table \(t.name), which the source \(source.path) holds; the copy knows tables only from the schema \
                    both stores share: add it to both stores' migrations
                    """)
            }
            guard Set(d.columns) == Set(t.columns) else {
                let differ = Set(d.columns).symmetricDifference(t.columns).sorted()
                throw CatalogError(path: destination.path, kind: .other, message: """
                    table \(t.name) has other columns than the source's (\(differ.joined(separator: ", "))); \
                    both stores' migrations must give it the same columns
                    """)
            }
            // The destination's references decide the order it is filled in.
            out.append(TableShape(name: t.name, columns: t.columns, references: d.references))
        }
        if let extra = Set(to.keys).subtracting(from.map(\.name)).sorted().first {
            throw CatalogError(path: destination.path, kind: .other, message: """
                has a table \(extra) that the source \(source.path) lacks; both stores' migrations must create the same tables
                """)
        }
        return out
    }

    /// Tables with every table they reference before them (by name where free to choose).
    static func ordered(_ tables: [TableShape], path: String) throws(CatalogError) -> [TableShape] {
        var pending = tables.sorted { $0.name < $1.name }, done: [TableShape] = [], placed: Set<String> = []
        let names = Set(tables.map(\.name))
        while !pending.isEmpty {
            guard let next = pending.firstIndex(where: { $0.references.allSatisfy { placed.contains($0) || !names.contains($0) } }) else {
                throw CatalogError(path: path, kind: .other, message: """
                    the tables \(pending.map(\.name).joined(separator: ", ")) reference each other in a cycle; \
                    the copy cannot order them
                    """)
            }
            placed.insert(pending[next].name)
            done.append(pending.remove(at: next))
        }
        return done
    }
}
