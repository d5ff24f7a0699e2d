import Foundation
import GRDB
import Testing
@testable import TidemarkCore
import TidemarkPostgres
import TestSupport

/// What policy tests plan, execute, lock and query through: either store.
typealias PolicyTestStore = PlanningStore & JournalStore & RunLocking

/// A scanned ISFS-like tree and its catalog on one of the stores, with a fixed clock, for
/// policy tests.
final class PolicyFixture: @unchecked Sendable {
    static let definition = """
        context = "test/isfs"
        [[rule]]
        match = "raw_data/isfs_%Y%m%d_%H%M%S.dat"
        category = "raw/nidas"
        stream = "isfs"
        length = "4h"
        [[rule]]
        match = "raw_data/{dsm}_%Y%m%d_%H%M%S.dat"
        category = "raw/dsm"
        stream = "{dsm}"
        length = "4h"
        [[rule]]
        match = "merge/isfs_%Y%m%d_%H%M%S.dat"
        category = "merge"
        stream = "isfs"
        length = "4h"
        [[rule]]
        match = "dbs/{db}/t_%Y%m%d_%H%M%S.tab"
        category = "minidvodb"
        stream = "g"
        dataset = "dbs/{db}"
        length = "1h"
        [[rule]]
        match = "exp/*.fits"
        category = "exposure"
        stream = "isfs"
        time = ["fits"]
        [[dataset_states]]
        category = ["minidvodb", "raw/nidas"]
        states = ["new", "merged", "cleaned"]
        transitions = ["new -> merged -> cleaned"]
        """

    let tree = TempTree("policy")
    /// The catalog scans write (on SQLite, the store itself).
    let catalog: SQLiteCatalog
    let backend: TestStore
    /// The PostgreSQL catalog's URL, when on PostgreSQL.
    private let url: String?
    /// What plans, executions and locks use: the SQLite catalog, or the PostgreSQL one the
    /// latest scan was copied to.
    private(set) var store: any PolicyTestStore
    /// 2017-06-01: every file of May 2017 is weeks old.
    let now = Instant(year: 2017, month: 6, day: 1)!
    var clock: @Sendable () -> Instant { { [now] in Instant(microseconds: now.microseconds + 1_000_000) } }

    /// On SQLite.
    convenience init() throws { self.init(catalog: try temporaryCatalog(), backend: .sqlite, url: nil) }

    private init(catalog: SQLiteCatalog, backend: TestStore, url: String?) {
        self.catalog = catalog; self.backend = backend; self.url = url; store = catalog
    }

    /// On `backend`; nil when it is PostgreSQL and the suite has no server.
    static func on(_ backend: TestStore) throws -> PolicyFixture? {
        switch backend {
        case .sqlite: return try PolicyFixture()
        case .postgres:
            guard let url = try freshPostgresDatabase() else { return nil }
            let f = PolicyFixture(catalog: try temporaryCatalog(), backend: .postgres, url: url)
            try f.catalogScanned()
            return f
        }
    }

    /// After a scan into `catalog`: on PostgreSQL the catalog is copied into the database
    /// afresh (the scan does not run on PostgreSQL yet; when it does, scans write `store`
    /// and this goes). Only before anything was executed: the copy replaces the database.
    private func catalogScanned() throws {
        guard let url else { return }
        (store as? PostgresCatalog)?.close()
        let admin = try #require(testPostgresURL())
        let name = String(url[url.range(of: "/", options: .backwards)!.upperBound...])
        try psql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try psql(admin, "CREATE DATABASE \(name)")
        try copyCatalog(from: catalog.path, to: url)
        let postgres = try PostgresCatalog(url: url)
        // Every plan reads its candidates (and a stream finisher its rows) in several batches.
        postgres.rowsPerFetch = 5
        store = postgres
    }

    /// Two days of 4-hour files: raw/nidas (200 B), raw/dsm tse01 (100 B), merge (300 B).
    func makeTree(days: Int = 2) {
        for d in 1...days {
            for h in stride(from: 0, to: 24, by: 4) {
                let stamp = String(format: "201705%02d_%02d0000", d, h)
                tree.write("raw_data/isfs_\(stamp).dat", size: 200)
                tree.write("raw_data/tse01_\(stamp).dat", size: 100)
                tree.write("merge/isfs_\(stamp).dat", size: 300)
            }
        }
    }

    @discardableResult
    func scan() throws -> ScanReport {
        let d = try ContextDefinition(file: "test.toml", text: Self.definition, defaultName: "test/isfs")
        var o = ScanOptions()
        o.walk.threads = 1
        let report = try Scanner(catalog: catalog, definition: d, roots: [tree.rootBytes], resolver: .standard, options: o)
            .run(now: Instant(year: 2017, month: 5, day: 31)!)
        try catalogScanned()
        return report
    }

    /// Scans another context's roots into the catalog.
    func scan(_ definition: ContextDefinition, roots: [PathBytes]) throws {
        _ = try Scanner(catalog: catalog, definition: definition, roots: roots).run(now: now)
        try catalogScanned()
    }

    func policy(_ rules: String) throws -> Policy {
        try Policy(file: "p.toml", text: "context = \"test/isfs\"\n" + rules, defaultName: "p", now: now)
    }

    func plan(_ rules: String, usage: FileSystemUsage? = nil) throws -> Plan {
        let facts = usage.map { u in FileSystemFacts { _ in u } } ?? .live
        return try PolicyPlanner(catalog: store, facts: facts).plan(try policy(rules), now: now)
    }

    var executor: PolicyExecutor { PolicyExecutor(catalog: store, clock: clock) }

    func execute(_ plan: Plan, options: ExecutionOptions = ExecutionOptions()) throws -> ExecutionReport {
        let lock = try PolicyLock(catalog: store, context: "test/isfs", holder: "policy run")
        return try executor.execute(plan, lock: lock, options: options)
    }

    func exists(_ relative: String) -> Bool {
        var st = stat()
        return lstat(tree.path(relative), &st) == 0
    }

    /// What became of the action on `relative`.
    func result(_ r: ExecutionReport, _ relative: String) -> ActionResult? {
        r.results.first { $0.action.path.displayPath == tree.path(relative) }
    }

    /// Relative paths of a plan's files.
    func names(_ plan: Plan) -> [String] {
        plan.actions.map { String($0.path.displayPath.dropFirst(tree.root.count + 1)) }
    }

    /// A file's state as the catalog's `file_view` names it.
    func state(_ relative: String) throws -> String? {
        try text("SELECT state FROM file_view WHERE path = '\(tree.path(relative))'")
    }

    /// One integer from the store, read on another connection (only what is committed);
    /// SQLite's `CAST('text' AS BLOB)` is PostgreSQL's `convert_to('text', 'UTF8')`.
    func scalar(_ sql: String) throws -> Int {
        switch backend {
        case .sqlite: return try catalog.pool.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
        case .postgres:
            let text = sql.replacing(/CAST\(('[^']*') AS BLOB\)/) { "convert_to(\($0.1), 'UTF8')" }
            return Int(try psql(url!, text)) ?? -1
        }
    }

    /// Runs a write on a connection of its own, committed when it returns (another host's).
    func writeElsewhere(_ sql: String) throws {
        switch backend {
        case .sqlite: try SQLiteCatalog(path: catalog.path, create: false).pool.write { db in try db.execute(sql: sql) }
        case .postgres: try psql(url!, sql)
        }
    }

    /// One text from the store (nil for none or NULL).
    func text(_ sql: String) throws -> String? {
        switch backend {
        case .sqlite: return try catalog.pool.read { db in try String.fetchOne(db, sql: sql) }
        case .postgres: return try psql(url!, sql)
        }
    }

    /// Every row of the store, to prove that nothing changed.
    func contents() throws -> String {
        switch backend {
        case .sqlite: return try catalog.dumpForComparison()
        case .postgres: return String(decoding: try backend.contents(url!), as: UTF8.self)
        }
    }
}

let ageOffAll = """
    [[rule]]
    kind = "age-off"
    categories = ["raw/nidas", "raw/dsm", "merge"]
    before = "2017-05-03"
    """
