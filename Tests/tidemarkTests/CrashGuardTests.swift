import Foundation
import Testing
import TestSupport
import TidemarkCore

/// A header that crashes its C library must not end every scan from then on.
@Suite struct CrashGuardTests {
    /// A one-block FITS file with an observation time.
    static func fits(_ dateObs: String) -> [UInt8] {
        let cards = ["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0",
                     "DATE-OBS= '\(dateObs)'", "EXPTIME =                 30.0", "END"]
        var bytes = Array(cards.map { $0.padding(toLength: 80, withPad: " ", startingAt: 0) }.joined().utf8)
        bytes += [UInt8](repeating: 0x20, count: 2880 - bytes.count)
        return bytes
    }

    @Test func aFileThatKillsTwoScansInARowIsNoLongerRead() throws {
        let tree = TempTree("crash")
        tree.write("good.fits", contents: Self.fits("2017-05-01T00:00:00"))
        tree.write("bad.fits", contents: Self.fits("2017-05-01T01:00:00"))
        let defs = temporaryDirectory("defs")
        try "roots = [\"\(tree.root)\"]\n[[rule]]\nmatch = \"*.fits\"\ncategory = \"exposure\"\ntime = [\"fits\", \"mtime\"]\n"
            .write(toFile: defs + "/cam.toml", atomically: true, encoding: .utf8)
        let db = temporaryDirectory("db") + "/c.db"
        let scan = ["scan", "cam", "--catalogs", defs, "--db", db, "--json", "--threads", "1"]
        let crash = ["TIDEMARK_TEST_ABORT_READING": "bad.fits"]

        // Two scans die on the file: the first might have been stopped by anything.
        #expect(try tidemark(scan, environment: crash).status != 0)
        #expect(try tidemark(scan, environment: crash).status != 0)
        // The third leaves its header alone, says why, and finishes.
        let third = try tidemark(scan, environment: crash)
        #expect(third.status == 0, "\(third.stderr)")
        let rows = try #require(try tidemark(["find", "--db", db, "--json"]).json() as? [[String: Any]])
        let bad = try #require(rows.first { ($0["path"] as? String)?.hasSuffix("/bad.fits") == true })
        #expect(bad["source"] as? String == "mtime")
        #expect((bad["error"] as? String)?.contains("an earlier scan died while reading this file's header") == true)
        let good = try #require(rows.first { ($0["path"] as? String)?.hasSuffix("/good.fits") == true })
        #expect(good["source"] as? String == "fits" && good["start"] as? String == "2017-05-01T00:00:00Z")

        // Changed, the file is read again (and, the crash gone, read right).
        tree.write("bad.fits", contents: Self.fits("2017-05-01T02:00:00"))
        #expect(try tidemark(scan).status == 0)
        let again = try #require(try tidemark(["find", "--db", db, "--json"]).json() as? [[String: Any]])
        let fixed = try #require(again.first { ($0["path"] as? String)?.hasSuffix("/bad.fits") == true })
        #expect(fixed["source"] as? String == "fits" && fixed["error"] is NSNull)
    }

    @Test func oneDeadScanCostsNothing() throws {
        let tree = TempTree("crash1")
        tree.write("bad.fits", contents: Self.fits("2017-05-01T01:00:00"))
        let defs = temporaryDirectory("defs")
        try "roots = [\"\(tree.root)\"]\n[[rule]]\nmatch = \"*.fits\"\ncategory = \"exposure\"\ntime = [\"fits\", \"mtime\"]\n"
            .write(toFile: defs + "/cam.toml", atomically: true, encoding: .utf8)
        let db = temporaryDirectory("db") + "/c.db"
        let scan = ["scan", "cam", "--catalogs", defs, "--db", db, "--json", "--threads", "1"]
        #expect(try tidemark(scan, environment: ["TIDEMARK_TEST_ABORT_READING": "bad.fits"]).status != 0)
        #expect(try tidemark(scan).status == 0)
        let row = try #require((try tidemark(["find", "--db", db, "--json"]).json() as? [[String: Any]])?.first)
        #expect(row["source"] as? String == "fits" && row["error"] is NSNull)
    }
}
