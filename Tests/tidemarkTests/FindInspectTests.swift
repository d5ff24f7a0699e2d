import Foundation
import Testing
import TestSupport
import TidemarkCore

@Suite struct FindInspectTests {
    let catalogs = packageRoot + "/catalogs"
    let contract = ["path", "category", "stream", "start", "end", "source", "state", "error"]

    @Test(arguments: Store.allCases) func findFiltersAndKeepsTheJSONContract(_ store: Store) throws {
        let tree = TempTree("find")
        makeIsfsTree(tree)
        tree.write([UInt8]("raw_data/bad".utf8) + [0xFF] + [UInt8](".dat".utf8))
        let scanned = temporaryDirectory("db") + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", scanned, "--catalogs", catalogs, "--quiet"]).status == 0)
        guard let db = try store.db(scanned) else { return }

        let r = try tidemark(["find", "--db", db, "--context", "perdigao/ustar", "--category", "raw/nidas",
                              "--from", "2017-05-01T05:00:00Z", "--to", "20170501T1200", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try r.json() as? [[String: Any]])
        // 04:00–08:00 and 08:00–12:00 overlap [05:00, 12:00); 12:00–16:00 only touches it.
        #expect(rows.map { $0["start"] as? String } == ["2017-05-01T04:00:00Z", "2017-05-01T08:00:00Z"])
        for row in rows { for key in contract { #expect(row.keys.contains(key), "find --json lacks \(key)") } }
        #expect(rows.first?["end"] as? String == "2017-05-01T08:00:00Z")
        #expect(rows.first?["source"] as? String == "name" && rows.first?["state"] as? String == "live")
        #expect(rows.first?["error"] is NSNull)

        let odd = try #require(try tidemark(["find", "--db", db, "--category", "other", "--json"]).json() as? [[String: Any]])
        let bad = try #require(odd.first { ($0["path"] as? String)?.contains("bad") == true })
        #expect(bad["path"] as? String == tree.root + "/raw_data/bad\\xff.dat")
        #expect((bad["path_bytes"] as? String)?.hasSuffix("626164ff2e646174") == true)

        let table = try tidemark(["find", "--db", db, "--stream", "tse01", "--limit", "2"])
        #expect(table.stdout.split(separator: "\n").count == 3)
        #expect(table.stdout.hasPrefix("START"))
    }

    @Test func findOnAMissingCatalogSaysToScanFirst() throws {
        let r = try tidemark(["find", "--db", temporaryDirectory("none") + "/absent.db"])
        #expect(r.status == 1 && r.stderr.contains("run `tidemark scan` first"))
    }

    @Test func findRefusesBadTimes() throws {
        let r = try tidemark(["find", "--db", "/tmp/x.db", "--from", "yesterday"])
        #expect(r.status == 64 && r.stderr.contains("is not a time"))
    }

    @Test func inspectNeedsNoCatalogAndUsesTheContextOfTheRoot() throws {
        let tree = TempTree("inspect")
        makeIsfsTree(tree, days: 1)
        let dir = try siteDefinition(root: tree.root)
        let elsewhere = TempTree("loose")
        elsewhere.write("tse07_20170501_000000.dat")
        let r = try tidemark(["inspect", "--catalogs", dir, "--json", tree.path("raw_data/tse01_20170501_040000.dat"),
                              elsewhere.path("tse07_20170501_000000.dat")])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try r.json() as? [[String: Any]])
        #expect(rows.count == 2)
        for row in rows { for key in contract { #expect(row.keys.contains(key)) } }
        #expect(rows[0]["category"] as? String == "raw/dsm" && rows[0]["stream"] as? String == "tse01")
        #expect(rows[0]["start"] as? String == "2017-05-01T04:00:00Z" && rows[0]["end"] as? String == "2017-05-01T08:00:00Z")
        // Outside every root: the generic rules read the time from the name.
        #expect(rows[1]["category"] as? String == "other" && rows[1]["source"] as? String == "name")
        #expect(rows[1]["start"] as? String == "2017-05-01T00:00:00Z")
    }

    @Test func inspectOfAMissingFileFails() throws {
        let r = try tidemark(["inspect", "--json", "/nonexistent/file.fits"])
        #expect(r.status == 1)
        let rows = try #require(try r.json() as? [[String: Any]])
        #expect((rows.first?["error"] as? String)?.contains("no such file") == true)
    }
}

@Suite struct InspectElsewhereTests {
    @Test func aCopyOutsideTheRootsIsMatchedByTheLongestTailARuleKnows() throws {
        let tree = TempTree("copy")
        tree.write("some/copy/raw_data/tse05_20170501_040000.dat")
        let r = try tidemark(["inspect", "--catalogs", packageRoot + "/catalogs", "--context", "perdigao/ustar", "--json",
                              tree.path("some/copy/raw_data/tse05_20170501_040000.dat")])
        let row = try #require((try r.json() as? [[String: Any]])?.first)
        #expect(row["category"] as? String == "raw/dsm" && row["stream"] as? String == "tse05")
        #expect(row["end"] as? String == "2017-05-01T08:00:00Z")
    }
}
