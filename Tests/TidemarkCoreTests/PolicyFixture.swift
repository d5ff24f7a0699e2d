import Foundation
import GRDB
@testable import TidemarkCore
import TestSupport

/// A scanned ISFS-like tree and its catalog, with a fixed clock, for policy tests.
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
        """

    let tree = TempTree("policy")
    let catalog: SQLiteCatalog
    /// 2017-06-01: every file of May 2017 is weeks old.
    let now = Instant(year: 2017, month: 6, day: 1)!
    var clock: @Sendable () -> Instant { { [now] in Instant(microseconds: now.microseconds + 1_000_000) } }

    init() throws { catalog = try temporaryCatalog() }

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
        return try Scanner(catalog: catalog, definition: d, roots: [tree.rootBytes], resolver: .standard, options: o)
            .run(now: Instant(year: 2017, month: 5, day: 31)!)
    }

    func policy(_ rules: String) throws -> Policy {
        try Policy(file: "p.toml", text: "context = \"test/isfs\"\n" + rules, defaultName: "p", now: now)
    }

    func plan(_ rules: String, usage: FileSystemUsage? = nil) throws -> Plan {
        let facts = usage.map { u in FileSystemFacts { _ in u } } ?? .live
        return try PolicyPlanner(catalog: catalog, facts: facts).plan(try policy(rules), now: now)
    }

    var executor: PolicyExecutor { PolicyExecutor(catalog: catalog, clock: clock) }

    func execute(_ plan: Plan, options: ExecutionOptions = ExecutionOptions()) throws -> ExecutionReport {
        let lock = try PolicyLock(catalog: catalog, context: "test/isfs", holder: "policy run")
        return try executor.execute(plan, lock: lock, options: options)
    }

    func exists(_ relative: String) -> Bool {
        var st = stat()
        return lstat(tree.path(relative), &st) == 0
    }

    /// Relative paths of a plan's files.
    func names(_ plan: Plan) -> [String] {
        plan.actions.map { String($0.path.displayPath.dropFirst(tree.root.count + 1)) }
    }

    func entry(_ relative: String) throws -> CatalogEntry? {
        var q = FindQuery()
        q.states = []
        return try catalog.find(q).first { $0.path.displayPath == tree.path(relative) }
    }

    func scalar(_ sql: String) throws -> Int {
        try catalog.pool.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }
}

let ageOffAll = """
    [[rule]]
    kind = "age-off"
    categories = ["raw/nidas", "raw/dsm", "merge"]
    before = "2017-05-03"
    """
