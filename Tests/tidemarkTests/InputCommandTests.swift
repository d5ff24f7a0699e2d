import Foundation
import Testing
import TestSupport
import TidemarkCore

/// Out-of-range numbers and times on the command line and in policies, and output that
/// cannot be written: each gives a message and a documented exit status, never a trap.
@Suite struct InputCommandTests {
    let catalogs = packageRoot + "/catalogs"

    @Test(arguments: [
        ["covers", "mjd:1e300"],
        ["covers", "2017-05-01T00:00+25:00"],
        ["covers", "2017-05-01T12:30:60"],
        ["find", "--from=-99999999999999d"],
        ["find", "--to=mjd:nan"],
        ["find", "--limit=-1"],
        ["coverage", "--from", "20170501", "--to", "20170502", "--min-gap", "99999999999999d"],
        ["delete", "--context", "perdigao/ustar", "--categories", "merge", "--size", "1e300"],
        ["delete", "--context", "perdigao/ustar", "--categories", "merge", "--size", "inf"],
        ["delete", "--context", "perdigao/ustar", "--categories", "merge", "--until-usage", "0.5"],
        ["delete", "--context", "perdigao/ustar", "--categories", "merge", "--before=+99999999999999d"],
    ])
    func outOfRangeValuesAreUsageErrors(_ args: [String]) throws {
        let s = try ScannedIsfs(days: 1)
        let r = try tidemark(args + ["--db", s.db])
        #expect(r.status == 64, "\(args): \(r.status) \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && r.stderr.contains("Error: "), "\(r.stderr)")
    }

    @Test func untilUsageSaysHowToWriteAPercentage() throws {
        let s = try ScannedIsfs(days: 1)
        let r = try s.delete(["--categories", "merge", "--until-usage", "0.5"])
        #expect(r.status == 64 && r.stderr.contains("--until-usage: '0.5' has no '%'") && r.stderr.contains("\"50%\""), "\(r.stderr)")
    }

    @Test func findRefusesAWindowThatEndsBeforeItBeginsAsCoversDoes() throws {
        let s = try ScannedIsfs(days: 1)
        let find = try tidemark(["find", "--from", "20170502", "--to", "20170501", "--db", s.db])
        #expect(find.status == 64 && find.stderr.contains("ends before it begins"), "\(find.stderr)")
        let covers = try tidemark(["covers", "20170502,20170501", "--db", s.db])
        #expect(covers.status == 64 && covers.stderr.contains("ends before it begins"), "\(covers.stderr)")
        // An instant is a window too.
        #expect(try tidemark(["find", "--from", "20170501T01", "--to", "20170501T01", "--db", s.db]).status == 0)
    }

    @Test(arguments: [
        ("older_than = 9223372036854775807", "p.toml:5: rule[1].older_than: '9223372036854775807' is longer than 10000 years"),
        ("older_than = \"99999999999999d\"", "p.toml:5: rule[1].older_than: '99999999999999d' is longer than 10000 years"),
        ("when_above = 0.9\nuntil_below = 0.8", "p.toml:5: rule[1].when_above: '0.9' has no '%'"),
        ("before = \"mjd:1e300\"", "p.toml:5: rule[1].before: 'mjd:1e300' is out of range"),
    ])
    func policyValuesOutOfRangeAreConfigurationErrors(_ rule: String, _ message: String) throws {
        let s = try ScannedIsfs(days: 1)
        let dir = temporaryDirectory("range-policies")
        try "context = \"perdigao/ustar\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\n\(rule)\n"
            .write(toFile: dir + "/p.toml", atomically: true, encoding: .utf8)
        let r = try tidemark(["policy", "plan", "p", "--policies", dir, "--db", s.db])
        #expect(r.status == 2 && r.stderr.contains(message), "\(r.status) \(r.stderr)")
    }

    // MARK: output that cannot be written

    @Test(arguments: [["report"], ["report", "--json"], ["find"], ["find", "--json"], ["covers", "20170501T01"],
                      ["coverage", "--from", "20170501", "--to", "20170502", "--csv"]])
    func aQueryWhoseOutputIsLostFails(_ args: [String]) throws {
        let s = try ScannedIsfs(days: 1)
        let r = try tidemark(args + ["--db", s.db], stdoutTo: "/dev/full")
        #expect(r.status == 1, "\(args): \(r.status) \(r.stderr)")
        #expect(r.stderr.contains("could not write the output to standard output (No space left on device)")
                && r.stderr.contains("Nothing was changed"), "\(r.stderr)")
    }

    @Test func aScanWhoseOutputIsLostSaysTheCatalogIsUpToDate() throws {
        let tree = TempTree("lost-scan")
        makeIsfsTree(tree, days: 1)
        let db = temporaryDirectory("lost-scan-db") + "/c.db"
        for json in [true, false] {
            let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs] + (json ? ["--json"] : []),
                                 stdoutTo: "/dev/full")
            #expect(r.status == 1 && r.stderr.contains("The scan itself finished: the catalog \(db) is up to date"), "\(r.status) \(r.stderr)")
        }
        let files = try #require(try tidemark(["find", "--db", db, "--json"]).json() as? [Any])
        #expect(files.count >= 18)
    }

    /// The README's cron line logs `policy run --yes --json` to a file: a full disk there
    /// must not hide that the run happened.
    @Test func aRunWhoseOutputIsLostSaysWhatItRemoved() throws {
        let s = try ScannedIsfs(days: 1)
        let r = try tidemark(["delete", "--context", "perdigao/ustar", "--db", s.db, "--categories", "merge", "--before", "2017-05-01T12",
                              "--yes", "--json"], stdoutTo: "/dev/full")
        #expect(r.status == 1, "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains("The run itself finished: run #1 removed 3 files and is recorded in the journal of the catalog \(s.db)"), "\(r.stderr)")
        #expect(try s.catalogued("deleted").count == 3)
        #expect(try s.catalogued("deleted").isDisjoint(with: s.filesOnDisk))
    }
}
