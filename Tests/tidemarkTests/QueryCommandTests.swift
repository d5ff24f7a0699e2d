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

    @Test(arguments: Store.allCases) func coversAnswersWithTheShapeOfFind(_ store: Store) throws {
        let (scanned, _) = try catalogWithAGap()
        guard let db = try store.db(scanned) else { return }
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

    @Test(arguments: Store.allCases) func coverageListsGapsAsTableJSONCSVAndPicture(_ store: Store) throws {
        let (scanned, tree) = try catalogWithAGap()
        guard let db = try store.db(scanned) else { return }
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

    @Test(arguments: Store.allCases) func reportAddsUpByMeaning(_ store: Store) throws {
        let (scanned, _) = try catalogWithAGap()
        guard let db = try store.db(scanned) else { return }
        let r = try tidemark(["report", "--db", db, "--by", "category", "--json"])
        let rows = try #require(try r.json() as? [[String: Any]])
        let raw = try #require(rows.first { ($0["group"] as? [String: String])?["category"] == "raw/nidas" })
        #expect(raw["files"] as? Int == 11 && raw["missing"] as? Int == 1 && raw["bytes"] as? Int == 11 * 200)
        let months = try #require(try tidemark(["report", "--db", db, "--by", "month", "--json"]).json() as? [[String: Any]])
        #expect(months.compactMap { ($0["group"] as? [String: String])?["month"] }.contains("2017-05") == true)
        let table = try tidemark(["report", "--db", db])
        #expect(table.stdout.contains("total") && table.stdout.contains("raw/nidas"))
    }

    @Test func relativeTimesWorkAsTheTimeArgument() throws {
        let tree = TempTree("relative")
        // Files of the last two hours, named by the clock.
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd_HH0000"
        let hour = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        let old = Date(timeIntervalSince1970: 86_400 * 365 * 40)
        for d in [hour.addingTimeInterval(-3 * 3600), hour.addingTimeInterval(-2 * 3600), hour.addingTimeInterval(-3600), hour, old] {
            tree.write("raw_data/isfs_\(f.string(from: d)).dat", contents: TempTree.nidasArchive(size: 200))
        }
        let db = temporaryDirectory("db") + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"]).status == 0)
        for args in [["-2h"], ["-2d,now"], ["--db", db, "-6h,"], ["-90m", "--json"]] {
            let r = try tidemark(["covers"] + args + ["--db", db, "--json"])
            #expect(r.status == 0, "covers \(args): \(r.stderr)")
            let rows = try #require(try r.json() as? [[String: Any]], "covers \(args)")
            #expect(!rows.isEmpty && rows.count <= 4, "covers \(args): \(rows.count) files")
        }
        let terminated = try tidemark(["covers", "--db", db, "--json", "--", "-2d,"])
        #expect(terminated.status == 0 && terminated.stdout.contains("isfs_"), "\(terminated.stderr)")
        // What is not a time or not an option is still refused, as a usage error.
        for args in [["-2d", "--bogus"], ["-x"], ["20170501", "20170502"], []] {
            let r = try tidemark(["covers"] + args + ["--db", db])
            #expect(r.status == 64, "covers \(args): \(r.status) \(r.stderr)")
        }
        #expect(try tidemark(["covers", "-2dx", "--db", db]).stderr.contains("not a time"))
        // Options that take a time take a relative one after a space too.
        let find = try tidemark(["find", "--from", "-2d", "--to", "now", "--db", db, "--json"])
        #expect(find.status == 0, "\(find.stderr)")
        #expect((try find.json() as? [Any])?.isEmpty == false)
    }

    @Test func badWindowsAreUsageErrors() throws {
        #expect(try tidemark(["coverage", "--from", "20170502", "--to", "20170501", "--db", "/tmp/none.db"]).status == 64)
        #expect(try tidemark(["covers", "20170502,20170501", "--db", "/tmp/none.db"]).status == 64)
        #expect(try tidemark(["report", "--by", "planet"]).status == 64)
    }
}
