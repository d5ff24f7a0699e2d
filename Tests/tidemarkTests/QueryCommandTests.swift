import Foundation
import Testing
import TestSupport
import TidemarkCore

@Suite struct QueryCommandTests {
    let catalogs = packageRoot + "/catalogs"

    /// Two days of ISFS data, one raw file removed after the first scan.
    func catalogWithAGap() throws -> (db: String, tree: TempTree) {
        let tree = TempTree("query")
        makeIsfsTree(tree)
        let db = temporaryDirectory("db") + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"]).status == 0)
        tree.remove("raw_data/isfs_20170501_080000.dat")
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"]).status == 0)
        return (db, tree)
    }

    @Test func coversAnswersWithTheShapeOfFind() throws {
        let (db, _) = try catalogWithAGap()
        let r = try tidemark(["covers", "2017-05-01T09:00:00Z", "--db", db, "--category", "raw/nidas", "--include-gone", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try r.json() as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows[0]["state"] as? String == "missing" && rows[0]["gone_by"] as? String == "scan 2")
        let findKeys = Set(try #require(try tidemark(["find", "--db", db, "--limit", "1", "--json"]).json() as? [[String: Any]]).first!.keys)
        #expect(Set(rows[0].keys) == findKeys)
        // Without --include-gone the hour is not covered; the range form takes open ends.
        #expect((try tidemark(["covers", "2017-05-01T09:00", "--db", db, "--category", "raw/nidas", "--json"]).json() as? [Any])?.isEmpty == true)
        let open = try #require(try tidemark(["covers", "20170502,", "--db", db, "--category", "raw/nidas", "--json"]).json() as? [Any])
        #expect(open.count == 6)
    }

    @Test func coverageListsGapsAsTableJSONCSVAndPicture() throws {
        let (db, tree) = try catalogWithAGap()
        let json = try tidemark(["coverage", "--from", "20170501", "--to", "20170503", "--db", db, "--category", "raw/nidas", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let rows = try #require(try json.json() as? [[String: Any]])
        let gaps = try #require(rows.first?["gaps"] as? [[String: Any]])
        #expect(gaps.count == 1 && gaps[0]["start"] as? String == "2017-05-01T08:00:00Z" && gaps[0]["seconds"] as? Double == 14_400)
        #expect(abs((rows[0]["fraction"] as? Double ?? 0) - 44.0 / 48.0) < 1e-9)
        #expect((rows[0]["gone"] as? [Any])?.count == 1)

        let hidden = try tidemark(["coverage", "--from", "20170501", "--to", "20170503", "--db", db, "--category", "raw/nidas", "--min-gap", "5h", "--json"])
        #expect(((try hidden.json() as? [[String: Any]])?.first?["gaps"] as? [Any])?.isEmpty == true)

        let csv = try tidemark(["coverage", "--from", "20170501", "--to", "20170503", "--db", db, "--category", "raw/nidas", "--csv"])
        #expect(csv.stdout.hasPrefix("context,category,stream,fraction,gap_start,gap_end,gap_seconds\n"))
        #expect(csv.stdout.contains(",2017-05-01T08:00:00Z,2017-05-01T12:00:00Z,14400"))

        let svg = tree.path("timeline.svg")
        let pic = try tidemark(["coverage", "--from", "20170501", "--to", "20170503", "--db", db, "--context", "perdigao/ustar", "--svg", svg])
        #expect(pic.status == 0)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<svg") && text.contains("data-category=\"raw/nidas\"") && text.contains("class=\"gone\""))
        #expect(pic.stdout.contains("LONGEST GAP"))
    }

    @Test func reportAddsUpByMeaning() throws {
        let (db, _) = try catalogWithAGap()
        let r = try tidemark(["report", "--db", db, "--by", "category", "--json"])
        let rows = try #require(try r.json() as? [[String: Any]])
        let raw = try #require(rows.first { ($0["group"] as? [String: String])?["category"] == "raw/nidas" })
        #expect(raw["files"] as? Int == 11 && raw["missing"] as? Int == 1 && raw["bytes"] as? Int == 11 * 200)
        let months = try #require(try tidemark(["report", "--db", db, "--by", "month", "--json"]).json() as? [[String: Any]])
        #expect(months.compactMap { ($0["group"] as? [String: String])?["month"] }.contains("2017-05") == true)
        let table = try tidemark(["report", "--db", db])
        #expect(table.stdout.contains("total") && table.stdout.contains("raw/nidas"))
    }

    @Test func badWindowsAreUsageErrors() throws {
        #expect(try tidemark(["coverage", "--from", "20170502", "--to", "20170501", "--db", "/tmp/none.db"]).status == 64)
        #expect(try tidemark(["covers", "20170502,20170501", "--db", "/tmp/none.db"]).status == 64)
        #expect(try tidemark(["report", "--by", "planet"]).status == 64)
    }
}
