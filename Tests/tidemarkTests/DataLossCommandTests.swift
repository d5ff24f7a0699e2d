import Foundation
import Testing
import TestSupport
import TidemarkCore

/// Issue 8's data-loss items as an operator meets them on the command line: a dataset with
/// one table changed, a policy whose age-off would take a cleanup's cover, a file rewritten
/// with its mtime put back, and a file named for 2099; on both stores.
@Suite struct DataLossCommandTests {
    @Test(arguments: TestStore.allCases)
    func aMinidvodbWithOneTableChangedSinceTheScanIsKeptWhole(_ store: TestStore) throws {
        guard let db = try store.freshLocation() else { return }
        let tree = TempTree("minidvodbs")
        for (db, day) in [("db1", 1), ("db2", 2)] {
            for h in 0..<4 { tree.write("minidvodbs/g/\(db)/t\(h).fits", contents: TempTree.fitsHeader(dateObs: "2017-05-0\(day)T0\(h):00:00")) }
        }
        try scanIntoCatalog(store: store, db: db, ["ipp/ps1", "--scan", tree.root, "--catalogs", packageRoot + "/catalogs", "--quiet"])
        let h = try #require(FileHandle(forWritingAtPath: tree.path("minidvodbs/g/db1/t3.fits")))
        h.seekToEndOfFile(); h.write(Data(count: 2880)); h.closeFile()
        let r = try tidemark(["delete", "--context", "ipp/ps1", "--db", db, "--categories", "minidvodb", "--before", "2017-05-02",
                              "--yes", "--batch-size", "2"])
        #expect(r.status == 4, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("dataset minidvodbs/g/db1 kept whole") && r.stdout.contains("t3.fits size changed"), "\(r.stdout)")
        for t in 0..<4 { #expect(FileManager.default.fileExists(atPath: tree.path("minidvodbs/g/db1/t\(t).fits"))) }
        #expect(try store.sql(db, "SELECT count(*) FROM files WHERE state <> 0") == "0")
    }

    @Test(arguments: TestStore.allCases)
    func aPolicysAgeOffLeavesTheProductsItsCleanupReliedOn(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store) else { return }
        let dir = temporaryDirectory("cover-policies")
        try ("context = \"perdigao/ustar\"\n" + cleanupThenAgeOffRules(category: "raw/dsm", sameStream: false))
            .write(toFile: dir + "/p.toml", atomically: true, encoding: .utf8)
        let plan = try tidemark(["policy", "plan", "p", "--policies", dir, "--db", s.db])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("rule \"old merges\" (age-off): 0 files") && plan.stdout.contains("11 files kept")
                && plan.stdout.contains("cover for the purges of rule 'raw once merged'"), "\(plan.stdout)")
        let run = try tidemark(["policy", "run", "p", "--policies", dir, "--db", s.db, "--yes"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try s.catalogued("purged").count == 11)
        #expect(s.filesOnDisk.filter { $0.hasPrefix("merge/") }.count == 12)
    }

    @Test(arguments: TestStore.allCases)
    func aFileRewrittenWithItsMtimeRestoredIsNotDeleted(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store) else { return }
        let victim = "raw_data/isfs_20170501_040000.dat"
        s.tree.rewriteKeepingMtime(victim)  // `touch -d` after an edit
        let r = try s.delete(["--categories", "raw/nidas", "--before", "2017-05-02", "--yes"])
        #expect(r.status == 4, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("skipped") && r.stdout.contains("ctime"), "\(r.stdout)")
        #expect(FileManager.default.fileExists(atPath: s.tree.path(victim)))
        // The next scan reads it again, and then it may go.
        let scan = try s.scan(["--json"])
        #expect((try scan.json() as? [String: Any])?["changed"] as? Int == 1, "\(scan.stdout)")
        #expect(try s.delete(["--categories", "raw/nidas", "--before", "2017-05-02", "--yes"]).status == 0)
    }

    @Test(arguments: TestStore.allCases)
    func aFileNamedFor2099DoesNotMakeTheCurrentFileDeletable(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store) else { return }
        s.tree.write("merge/isfs_20990101_000000.dat", contents: TempTree.nidasArchive(size: 300))
        try s.scan()
        for range in [["--before", "2017-05-03"], ["--time", "20000101,"]] {
            let r = try s.delete(["--categories", "merge"] + range + ["--yes"])
            #expect(r.status == 0 || r.status == 3, "\(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("1 future-dated file") && r.stdout.contains("isfs_20990101_000000.dat"), "\(r.stdout)")
        }
        #expect(FileManager.default.fileExists(atPath: s.tree.path("merge/isfs_20170502_200000.dat")))
        #expect(FileManager.default.fileExists(atPath: s.tree.path("merge/isfs_20990101_000000.dat")))
        #expect(s.filesOnDisk.filter { $0.hasPrefix("merge/") }.count == 2)
    }
}
