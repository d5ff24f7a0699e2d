import Foundation
import Testing
import TestSupport

/// A scanned copy of the small ISFS tree with its own catalog, on either store.
struct ScannedIsfs {
    let tree = TempTree("policy-cli")
    let catalogs = packageRoot + "/catalogs"
    let store: TestStore
    /// The catalog as `--db` names it: a file, or a postgres:// URL.
    let db: String

    /// On SQLite.
    init(days: Int = 2) throws {
        try self.init(store: .sqlite, db: temporaryDirectory("policy-db") + "/c.db", days: days)
    }

    /// On `store`; nil when it is PostgreSQL and there is no server (see `freshPostgresDatabase`).
    init?(store: TestStore, days: Int = 2) throws {
        guard let db = try store.freshLocation() else { return nil }
        try self.init(store: store, db: db, days: days)
    }

    private init(store: TestStore, db: String, days: Int) throws {
        self.store = store
        self.db = db
        makeIsfsTree(tree, days: days)
        try scan()
    }

    /// Scans the tree into the catalog (again: a rescan); `--quiet` unless `extra` says otherwise.
    @discardableResult
    func scan(_ extra: [String] = ["--quiet"]) throws -> Run {
        try scanIntoCatalog(store: store, db: db, ["perdigao/ustar", "--scan", tree.root, "--catalogs", catalogs] + extra)
    }

    /// The catalog's contents, to prove a dry run left it as it was (on SQLite, the file's bytes).
    var catalogBytes: Data { (try? store.contents(db)) ?? Data() }

    func delete(_ args: [String], environment: [String: String] = [:]) throws -> Run {
        try tidemark(["delete", "--context", "perdigao/ustar", "--db", db] + args, environment: environment)
    }

    /// One SQL statement on the catalog (sqlite3 or psql).
    func sql(_ query: String) throws -> String { try store.sql(db, query) }

    /// Files on disk below the tree, relative.
    var filesOnDisk: Set<String> {
        Set((FileManager.default.enumerator(atPath: tree.root)?.allObjects as? [String] ?? [])
            .filter { !($0 as NSString).lastPathComponent.isEmpty && !isDirectory(tree.root + "/" + $0) })
    }

    /// Catalogued files of a state, relative (from the catalog's `file_view`, which both stores keep).
    func catalogued(_ state: String) throws -> Set<String> {
        let rows = try sql("SELECT path FROM file_view WHERE state = '\(state)'")
        return Set(rows.split(separator: "\n").map { String($0.dropFirst(tree.root.count + 1)) })
    }

    private func isDirectory(_ p: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &d) && d.boolValue
    }
}

/// `tidemark scan ARGS` into the catalog `db` of `store`; the scan's run (expected to
/// succeed unless `checked` is false: the caller looks at it). PostgreSQL catalogs are
/// made by scanning into a SQLite file beside and `catalog copy`ing it to a fresh database
/// (the catalog's previous contents replaced: a rescan before any run); once the scan runs
/// on PostgreSQL, this is the SQLite line for both stores.
@discardableResult
func scanIntoCatalog(store: TestStore, db: String, _ args: [String], checked: Bool = true) throws -> Run {
    switch store {
    case .sqlite:
        let r = try tidemark(["scan"] + args + ["--db", db])
        if checked { #expect(r.status == 0, "\(r.stderr)") }
        return r
    case .postgres:
        let staging = stagingFile(for: db)
        let r = try tidemark(["scan"] + args + ["--db", staging])
        if checked { #expect(r.status == 0, "\(r.stderr)") }
        guard r.status == 0 else { return r }
        try recreateDatabase(db)
        let copy = try tidemark(["catalog", "copy", "--from", staging, "--to", db])
        #expect(copy.status == 0, "\(copy.stderr)")
        return r
    }
}

/// The SQLite file a PostgreSQL test catalog is scanned into before it is copied over.
private func stagingFile(for url: String) -> String {
    let dir = FileManager.default.temporaryDirectory.path + "/tidemark-tests-staging"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + (url.split(separator: "/").last.map(String.init) ?? "c") + ".db"
}

/// Drops and creates the test database `url` names (on the suite's server), empty.
private func recreateDatabase(_ url: String) throws {
    guard let slash = url.range(of: "/", options: .backwards), let admin = testPostgresURL() else { return }
    let name = String(url[slash.upperBound...])
    _ = try psql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    _ = try psql(admin, "CREATE DATABASE \(name)")
}
