import Foundation
import GRDB

/// The catalog in one SQLite file (WAL mode): many readers, one writer.
public final class SQLiteCatalog: Sendable {
    public let path: String
    let pool: DatabasePool
    /// Connections of the queries' own (`covers`, `find`), apart from the pool.
    let readers: QueryReaders

    /// Opens (and, when `create`, creates and migrates) the catalog at `path`.
    /// `readOnly` opens it without writing a byte: no migration, and none of the schema
    /// probe GRDB makes when it opens a pool for writing (dry runs rely on this).
    public init(path: String, create: Bool = true, readOnly: Bool = false) throws(CatalogError) {
        self.path = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            let dir = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
            throw CatalogError(path: path, kind: .cannotOpen, message: "is a directory; name the catalog file itself, e.g. --db \(dir)/catalog.sqlite")
        }
        if !FileManager.default.fileExists(atPath: path) {
            guard create else {
                throw CatalogError(path: path, kind: .cannotOpen, message: "no catalog here yet; run `tidemark scan` first, or name one with --db")
            }
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }
        try Self.refuseHardLinks(path)
        try Self.refuseOddCompanions(path)
        var config = Configuration()
        config.busyMode = .timeout(30)
        // The scan's writer creates every parent row before its children; checking each
        // reference again costs a third of an insert. Tests run `foreign_key_check`.
        config.foreignKeysEnabled = false
        config.readonly = readOnly
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY")
            // Queries read index pages scattered over the whole file: mapped, they cost no
            // system call each. (Scans keep plain reads: mapped pages would count as memory.)
            if readOnly { try db.execute(sql: "PRAGMA mmap_size = 2147418112") }
        }
        do {
            pool = readOnly ? try Self.readOnlyPool(path: path, configuration: config) : try DatabasePool(path: path, configuration: config)
            readers = QueryReaders(path: path, uri: pool.path == path ? nil : pool.path, mapped: readOnly)
            try pool.read { db in try Schema.refuseNewer(db, path: path) }
            if !readOnly {
                // A new catalog: each migration rewrites the schema's pages, and together their
                // write-ahead log is many times the catalog they leave. Folded into the file after
                // each one (best effort: a reader elsewhere may hold the log), it does not fill a
                // small disk.
                if try pool.read(Schema.migrator.appliedIdentifiers).isEmpty {
                    for id in Schema.migrator.migrations {
                        try Schema.migrator.migrate(pool, upTo: id)
                        try? pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
                    }
                }
                try Schema.migrator.migrate(pool)
                try pool.write(Schema.stampVersion)
            } else if try !pool.read(Schema.migrator.hasCompletedMigrations) {
                throw CatalogError(path: path, kind: .olderSchema, message: "this catalog was written by an older Tidemark; run `tidemark scan` once to bring it up to date")
            }
        } catch let e as CatalogError {
            throw e
        } catch {
            throw CatalogError(path: path, error)
        }
    }

    /// Refuses a catalog file with more than one name. SQLite finds a database's
    /// write-ahead log by its name, so runs through two hard links would each see a
    /// different catalog and could corrupt it; a symbolic link is resolved, and safe.
    private static func refuseHardLinks(_ path: String) throws(CatalogError) {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_nlink > 1 else { return }
        throw CatalogError(path: path, kind: .cannotOpen, message: """
            the catalog file has \(st.st_nlink) names (hard links). SQLite keeps its write-ahead log beside the name it \
            is opened by, so two names of one catalog would show different contents and could corrupt it. Keep one \
            name (remove the others; a symbolic link is a safe second name)
            """)
    }

    /// Names a link, FIFO or device planted where SQLite keeps its files beside the catalog
    /// (SQLite itself refuses them, or unlinks a FIFO, saying only "disk I/O error").
    private static func refuseOddCompanions(_ path: String) throws(CatalogError) {
        var real = path
        if let resolved = realpath(path, nil) {
            real = String(cString: resolved)
            free(resolved)
        }
        for suffix in ["-wal", "-shm", "-journal"] {
            do { try OwnedFile.refuseOddKind((real + suffix).pathBytes) } catch {
                throw CatalogError(path: path, kind: .cannotOpen, message: "SQLite cannot keep its \(suffix.dropFirst()) file beside the catalog: \(error)")
            }
        }
    }

    /// `$TIDEMARK_DB`, else `$XDG_DATA_HOME/tidemark/catalog.sqlite`
    /// (`~/.local/share/tidemark/catalog.sqlite`).
    public static func defaultPath(environment: [String: String]) -> String {
        if let p = environment["TIDEMARK_DB"], !p.isEmpty { return p }
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/share")
        return data + "/tidemark/catalog.sqlite"
    }

    /// Runs `body` in a read transaction, turning database errors into `CatalogError`.
    func read<T>(_ body: (Database) throws -> T) throws(CatalogError) -> T {
        do { return try pool.read(body) } catch let e as CatalogError { throw e } catch { throw CatalogError(path: path, error) }
    }

    /// Runs `body` in a write transaction, turning database errors into `CatalogError`.
    func write<T>(_ body: (Database) throws -> T) throws(CatalogError) -> T {
        do { return try pool.write(body) } catch let e as CatalogError { throw e } catch { throw CatalogError(path: path, error) }
    }
}

extension SQLiteCatalog {
    /// Recomputes what the scan derives for whole streams — clipped name coverage,
    /// coverage runs, length bounds — for every stream of the catalog (or of one context).
    /// For catalogs written by other tools or repaired by hand.
    public func rebuildDerived(context: String? = nil) throws(CatalogError) {
        try write { db in
            let streams = try Int64.fetchAll(db, sql: """
                SELECT s.id FROM streams s JOIN contexts c ON c.id = s.context_id WHERE ?1 IS NULL OR c.name = ?1 ORDER BY s.id
                """, arguments: [context])
            try StreamFinisher(db: db).finish(streams: streams)
        }
    }
}

extension SQLiteCatalog {
    /// Catalogued files, every state.
    public func count() throws(CatalogError) -> Int { try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM files") ?? 0 } }
    public func streamCount() throws(CatalogError) -> Int { try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM streams") ?? 0 } }
}
