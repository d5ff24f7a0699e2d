import Foundation
import Testing
import TestSupport
import TidemarkCore
import TidemarkPostgres

/// The query side answers the same on both stores: every query command, byte for byte
/// (JSON, tables, CSV, the timeline picture), and every QueryStore read, on one catalog
/// scanned into SQLite and copied into PostgreSQL.
@Suite struct QueryStoresAgreeTests {
    static let window = ["--from", "20170501", "--to", "20170503"]

    /// Each query as a user runs it (without --db).
    static let queries: [[String]] = [
        ["find", "--json"], ["find", "--json", "--state", "any"], ["find"], ["find", "--state", "any"],
        ["find", "--context", "ipp/ps1", "--json"], ["find", "--category", "raw/nidas", "--limit", "3", "--json"],
        ["find", "--stream", "tse01", "--state", "missing", "--state", "deleted", "--json"],
        ["find", "--from", "2017-05-01T06:00:00Z", "--to", "2017-05-01T13:00:00Z", "--state", "any", "--json"],
        ["covers", "2017-05-01T09:00:00Z", "--include-gone", "--json"], ["covers", "20170502,", "--json"],
        ["covers", "2017-05-01,2017-05-02", "--category", "merge", "--include-gone", "--json"], ["covers", "2017-05-01T02:00:00Z"],
        ["covers", "2017-05-01T00:00:00Z", "--context", "ipp/ps1", "--json"],
        ["coverage", "--json"] + window, ["coverage", "--csv"] + window, ["coverage"] + window,
        ["coverage", "--by", "category", "--json"] + window, ["coverage", "--category", "raw/nidas", "--min-gap", "1h", "--json"] + window,
        ["coverage", "--json", "--from", "20170501T10", "--to", "20170501T11"],
        ["report", "--json"], ["report"], ["report", "--by", "context", "--json"], ["report", "--by", "stream", "--json"],
        ["report", "--by", "month", "--json"], ["report", "--by", "month"], ["report", "--context", "perdigao/ustar", "--category", "merge", "--json"],
        ["root", "list", "--json", "--catalogs", packageRoot + "/catalogs"], ["root", "list", "--catalogs", packageRoot + "/catalogs"],
        ["find", "--context", "no/such", "--json"], ["covers", "2017-05-01", "--stream", "nothing"],
    ]

    @Test func everyQueryCommandAnswersByteForByteTheSame() throws {
        let (db, _) = try busyCatalog()
        guard let url = try Store.postgres.db(db) else { return }
        for q in Self.queries {
            let lite = try tidemark(q + ["--db", db]), pg = try tidemark(q + ["--db", url])
            #expect(lite.status == 0 || q.contains("no/such") || q.contains("nothing"), "\(q): \(lite.stderr)")
            #expect(pg.status == lite.status, "\(q): \(pg.stderr)")
            #expect(pg.stdout == lite.stdout, "\(q) answers differently on PostgreSQL:\n\(pg.stdout)\n--- SQLite:\n\(lite.stdout)")
            #expect(pg.stderr.replacingOccurrences(of: CatalogLocation.maskingPassword(url), with: db) == lite.stderr, "\(q)")
        }
        let dir = temporaryDirectory("agree-svg")
        for (name, target) in [("lite", db), ("pg", url)] {
            #expect(try tidemark(["coverage", "--svg", dir + "/\(name).svg", "--db", target] + Self.window).status == 0)
        }
        #expect(FileManager.default.contents(atPath: dir + "/lite.svg") == FileManager.default.contents(atPath: dir + "/pg.svg"))
    }

    /// The reads no command shows yet (the status page's): the same values from both stores.
    @Test func everyQueryStoreReadAgrees() throws {
        let (db, _) = try busyCatalog()
        guard let url = try Store.postgres.db(db) else { return }
        let lite: any QueryStore = try SQLiteCatalog(path: db, create: false, readOnly: true)
        let pg: any QueryStore = try PostgresCatalog(url: url)
        func same<T>(_ read: (any QueryStore) throws -> T, _ what: String) throws {
            let a = String(reflecting: try read(lite)), b = String(reflecting: try read(pg))
            #expect(a == b, "\(what) differs:\n\(b)\n--- SQLite:\n\(a)")
        }
        try same({ try $0.contextNames() }, "contextNames")
        for c in [nil, "perdigao/ustar", "ipp/ps1"] as [String?] {
            try same({ try $0.summary(context: c) }, "summary \(c ?? "")")
            try same({ try $0.lastScans(context: c, limit: 10) }, "lastScans \(c ?? "")")
            try same({ try $0.lastScans(context: c, limit: 1) }, "lastScans 1 \(c ?? "")")
            try same({ try $0.policyRuns(context: c, limit: 10) }, "policyRuns \(c ?? "")")
            try same({ try $0.rootRecords(context: c) }, "rootRecords \(c ?? "")")
        }
        try same({ try $0.journal(since: 0, limit: 100) }, "journal")
        try same({ try $0.journal(since: 2, limit: 3) }, "journal since 2")
        try same({ s in try s.policyContext("perdigao/ustar").map { "\($0.id) \($0.name) \($0.roots) \($0.categories.sorted())" } }, "policyContext")
        #expect(try pg.policyContext("no/such") == nil)
        try same({ s in try s.rootStates().map { try s.contents(of: $0) } }, "contents")
        #expect(try !lite.journal(since: 0, limit: 100).isEmpty && !pg.lastScans(context: nil, limit: 10).isEmpty)
    }
}
