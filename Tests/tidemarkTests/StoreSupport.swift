import Foundation
import Testing
import TestSupport
import TidemarkCore

/// The stores the behaviour suites run on: each catalog is built by scanning into SQLite,
/// and on PostgreSQL is that catalog copied (`catalog copy`) into a fresh database.
enum Store: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// `--db` for the SQLite catalog `db` on this store; nil when there is no PostgreSQL
    /// server (skipped on a developer's machine, a recorded failure under CI).
    func db(_ db: String) throws -> String? {
        switch self {
        case .sqlite: return db
        case .postgres:
            guard let url = try freshPostgresDatabase() else { return nil }
            let r = try tidemark(["catalog", "copy", "--from", db, "--to", url])
            #expect(r.status == 0, "catalog copy: \(r.stderr)")
            return url
        }
    }
}

/// A catalog with rows in nearly every table: two roots of perdigao/ustar scanned, a file
/// gone missing, a deletion journaled, the first root gone stale and forgotten; an ipp/ps1
/// tree with datasets; a file name with a tab, a newline, a backslash and a byte that is
/// not UTF-8.
func busyCatalog() throws -> (db: String, trees: [TempTree]) {
    let catalogs = packageRoot + "/catalogs"
    let a = TempTree("busy-a"), b = TempTree("busy-b"), ipp = TempTree("busy-ipp")
    makeIsfsTree(a)
    makeIsfsTree(b, days: 1)
    b.write(Array("odd\tna\\me\n".utf8) + [0xff] + Array(".txt".utf8), size: 3)
    for (dvo, day) in [("db1", 1), ("db2", 2)] {
        for h in 0..<3 { ipp.write("minidvodbs/g/\(dvo)/t\(h).fits", contents: TempTree.fitsHeader(dateObs: "2017-05-0\(day)T0\(h):00:00")) }
    }
    let db = temporaryDirectory("busy-db") + "/c.db"
    func run(_ args: [String]) throws {
        let r = try tidemark(args + ["--db", db, "--catalogs", catalogs])
        #expect(r.status == 0, "\(args): \(r.stderr)")
    }
    func scan(_ roots: [String]) throws { try run(["scan", "perdigao/ustar"] + roots.flatMap { ["--scan", $0] } + ["--quiet"]) }
    try scan([a.root, b.root])
    try run(["scan", "ipp/ps1", "--scan", ipp.root, "--quiet"])
    a.remove("raw_data/isfs_20170501_080000.dat")
    try scan([a.root, b.root])
    try run(["delete", "--context", "perdigao/ustar", "--categories", "merge", "--before", "2017-05-02", "--yes"])
    try scan([b.root])
    try run(["root", "forget", a.root, "--context", "perdigao/ustar", "--yes"])
    try run(["host", "add", "mirror", "--ssh", "tidemark@127.0.0.2"])
    try run(["dataset", "set-state", "minidvodbs/g/db1", "merged", "--context", "ipp/ps1"])
    // A copy queued to this machine (not run), and the queue's switches set once.
    try run(["host", "add", "here"])
    try run(["copy", "queue", "--context", "ipp/ps1", "--category", "minidvodb", "--host", "here", "--path", temporaryDirectory("busy-copies") + "/to"])
    try run(["copy", "pause", "run"])
    // Queued work: one item done, one waiting (no command queues work yet).
    let store = try SQLiteCatalog(path: db, create: false)
    _ = try store.enqueue([WorkItem(key: "done"), WorkItem(key: "odd\tke\\y", payload: "p")], queue: "test")
    for claim in try store.claim(queue: "test", worker: "w", lease: 60_000_000, limit: 1) { try store.complete(claim) }
    // A request that needs a file, with a dependent for it (no command regenerates here).
    let now = Instant(seconds: 1_800_000_000)
    let request = try store.addRequest(RequestSpec(context: "perdigao/ustar", categories: ["merge"], window: TimeWindow(begin: nil, end: nil),
                                                   label: "odd\tlabel"), at: now, by: "test")
    let file = Int64(try sql(db, "SELECT min(id) FROM files"))!
    _ = try store.recordResolution(RequestResolution(request: request, files: [file], dependents: [(file, nil)], state: .run, fault: nil,
                                                     message: nil), at: now, by: "test")
    return (db, [a, b, ipp])
}
