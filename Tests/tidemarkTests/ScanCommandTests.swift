import Foundation
import Testing
import TestSupport
import TidemarkCore

@Suite struct ScanCommandTests {
    let catalogs = packageRoot + "/catalogs"

    @Test(arguments: CatalogKind.allCases) func issCatalogSpellingScansAndReportsJSON(_ kind: CatalogKind) throws {
        let tree = TempTree("iss")
        makeIsfsTree(tree)
        guard let db = try kind.newCatalog("ustar") else { return }
        let r = try tidemark(["scan", "--context", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try r.json() as? [String: Any])
        for key in ["files", "new", "changed", "unchanged", "missing", "errors", "bytes", "seconds"] {
            #expect(o[key] != nil, "scan --json lacks \(key)")
        }
        #expect(o["files"] as? Int == 39 && o["new"] as? Int == 39 && o["errors"] as? Int == 0)
        #expect(o["bytes"] as? Int == 12 * 650 + 100 + 5)

        let again = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--json"])
        let o2 = try #require(try again.json() as? [String: Any])
        #expect(o2["unchanged"] as? Int == 39 && o2["new"] as? Int == 0)
        #expect(o2["catalog"] as? String == CatalogLocation(db).masked)
    }

    @Test(arguments: CatalogKind.allCases) func jsonReportsTheSecondsOfEachPhase(_ kind: CatalogKind) throws {
        let tree = TempTree("phases")
        makeIsfsTree(tree)
        guard let db = try kind.newCatalog("phases") else { return }
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try r.json() as? [String: Any])
        let phases = try #require(o["phases"] as? [String: [String: Double]], "scan --json lacks phases")
        let expected: [String: [String]] = [
            "walk": ["wall", "worker_seconds", "cpu"], "lookup": ["worker_seconds"], "classify": ["worker_seconds"],
            "write": ["wall", "cpu", "after_walk"], "finish": ["wall"],
        ]
        #expect(Set(phases.keys) == Set(expected.keys))
        for (phase, keys) in expected {
            for k in keys {
                let v = try #require(phases[phase]?[k], "phases.\(phase) lacks \(k)")
                #expect(v >= 0 && v < 60, "phases.\(phase).\(k) = \(v)")
            }
        }
        let seconds = try #require(o["seconds"] as? Double)
        #expect(phases["walk"]!["wall"]! <= seconds + 0.001 && phases["finish"]!["wall"]! <= seconds + 0.001)
    }

    @Test func contextRootsComeFromItsDefinition() throws {
        let tree = TempTree("roots")
        makeIsfsTree(tree, days: 1)
        let dir = try siteDefinition(root: tree.root)
        let db = temporaryDirectory("db") + "/c.db"
        let r = try tidemark(["scan", "site/ustar", "--db", db], environment: ["TIDEMARK_CATALOGS": dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("raw/nidas") && r.stdout.contains("20 files"))
    }

    @Test func catalogHasADefaultPlace() throws {
        let tree = TempTree("default")
        makeIsfsTree(tree, days: 1)
        let data = temporaryDirectory("xdg")
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--catalogs", catalogs, "--quiet"],
                             environment: ["XDG_DATA_HOME": data])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: data + "/tidemark/catalog.sqlite"))
        let viaEnv = temporaryDirectory("envdb") + "/x.sqlite"
        let r2 = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--catalogs", catalogs, "--quiet"],
                              environment: ["TIDEMARK_DB": viaEnv])
        #expect(r2.status == 0)
        #expect(FileManager.default.fileExists(atPath: viaEnv))
    }

    @Test(arguments: CatalogKind.allCases) func missingRootFailsWithExitOne(_ kind: CatalogKind) throws {
        guard let db = try kind.newCatalog("c") else { return }
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", "/nonexistent/Perdigao", "--db", db, "--catalogs", catalogs])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/nonexistent/Perdigao") && r.stderr.contains("no such file"))
    }

    @Test func badDefinitionFailsWithExitTwoNamingFileLineAndKey() throws {
        let dir = temporaryDirectory("bad")
        try "roots = [\"/tmp\"]\n\n[[rule]]\nmatch = \"raw/*%Y%m%d.dat\"\ncatgory = \"raw\"\n".write(toFile: dir + "/typo.toml", atomically: true, encoding: .utf8)
        let r = try tidemark(["scan", "typo", "--catalogs", dir, "--db", dir + "/c.db"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("typo.toml:5: rule[1].catgory: unknown key"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/c.db"))
    }

    @Test func unknownContextSaysWhereItLooked() throws {
        let dir = temporaryDirectory("none")
        let r = try tidemark(["scan", "nowhere/host", "--catalogs", dir, "--db", dir + "/c.db"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no definition for context 'nowhere/host'") && r.stderr.contains(dir))
    }

    @Test func usageErrorsExitWith64() throws {
        #expect(try tidemark(["scan"]).status == 64)
        #expect(try tidemark(["scan", "--threads", "0", "x"]).status == 64)
    }

    @Test func unreadableDirectoryIsReportedAndItsFilesAreNotLost() throws {
        let tree = TempTree("unreadable")
        makeIsfsTree(tree, days: 1)
        tree.write("netcdf/hr/isfs_20170501.nc", size: 10)
        chmod(tree.root, 0o755)
        let dir = temporaryDirectory("db")
        makeWorldWritable(dir)
        let db = dir + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"], asNobody: true).status == 0)
        chmod(tree.path("netcdf"), 0o000)
        defer { chmod(tree.path("netcdf"), 0o755) }
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--json"], asNobody: true)
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try r.json() as? [String: Any])
        #expect(o["errors"] as? Int == 1 && o["missing"] as? Int == 0)
        let problems = try #require(o["problems"] as? [[String: Any]])
        #expect((problems.first?["message"] as? String)?.contains("permission denied") == true)
        let live = try tidemark(["find", "--db", db, "--category", "netcdf/hr", "--json"])
        #expect((try live.json() as? [Any])?.count == 1)
    }

    @Test func unwritableCatalogFailsClearly() throws {
        let tree = TempTree("ro")
        makeIsfsTree(tree, days: 1)
        chmod(tree.root, 0o755)
        let dir = temporaryDirectory("rodb")
        let db = dir + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"]).status == 0)
        chmod(dir, 0o555)
        chmod(db, 0o444)
        defer { chmod(dir, 0o755) }
        tree.write("raw_data/isfs_20170601_000000.dat")
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs], asNobody: true)
        #expect(r.status == 1)
        #expect(r.stderr.contains(db) && (r.stderr.contains("read-only") || r.stderr.contains("cannot open")), "\(r.stderr)")
    }
}

/// The catalog a command suite runs against: a SQLite file, or a PostgreSQL database on the
/// tests' server (scripts/test-postgres).
enum CatalogKind: String, CaseIterable, Sendable {
    case sqlite, postgres

    /// A new, empty catalog's `--db`; nil for PostgreSQL when there is no test server (a
    /// recorded failure under CI).
    func newCatalog(_ name: String) throws -> String? {
        switch self {
        case .sqlite: temporaryDirectory("db") + "/\(name).db"
        case .postgres: try freshPostgresDatabase()
        }
    }
}
