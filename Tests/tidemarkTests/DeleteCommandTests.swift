import Foundation
import Testing
import TestSupport
import TidemarkCore

/// `tidemark delete`: iss_catalog.py's spelling, plans that change nothing, executions that
/// leave tombstones, and the exit codes scripts rely on; on both stores.
@Suite struct DeleteCommandTests {
    @Test(arguments: TestStore.allCases)
    func withoutYesItPrintsThePlanAndTheCatalogStaysByteIdentical(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store) else { return }
        let before = s.catalogBytes
        let disk = s.filesOnDisk
        // iss_catalog.py delete --time 20000101, --size MB: 0.0007 MB = 700 B, oldest first.
        let r = try s.delete(["--time", "20000101,", "--size", "0.0007", "--categories", "raw/nidas", "--categories", "merge"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("raw_data/isfs_20170501_000000.dat") && r.stdout.contains("merge/isfs_20170501_000000.dat"))
        #expect(r.stdout.contains("2017-05-01T00:00:00Z") && r.stdout.contains("300 B") && r.stdout.contains("Total: 3 files"))
        #expect(r.stdout.contains("Nothing was changed"))
        let j = try #require(try s.delete(["--time", "20000101,", "--size", "0.0007", "--categories", "raw/nidas", "--categories", "merge", "--json"]).json() as? [String: Any])
        #expect(j["executed"] as? Bool == false)
        let actions = try #require(j["actions"] as? [[String: Any]])
        #expect(actions.count == 3)
        for a in actions {
            #expect(a["path"] is String && a["bytes"] is Int && (a["reason"] as? String)?.contains("oldest") == true)
        }
        #expect(s.catalogBytes == before, "a dry run changed the catalog file")
        #expect(s.filesOnDisk == disk)
    }

    @Test(arguments: TestStore.allCases)
    func withYesItRemovesAndFindShowsDeletedTombstonesWithTheRun(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store) else { return }
        let r = try s.delete(["--categories", "raw/nidas", "--before", "2017-05-02", "--yes", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(try r.json() as? [String: Any])
        #expect(j["executed"] as? Bool == true)
        let run = try #require(j["run"] as? Int)
        let results = try #require(j["results"] as? [String: Int])
        #expect(results["done"] == 6 && results["skipped"] == 0 && results["bytes_removed"] == 1200)
        // The tombstones, each with the run that removed it and its coverage kept.
        #expect(try s.sql("SELECT count(*) FROM files WHERE state = 2 AND gone_run = \(run) AND gone_at IS NOT NULL AND start IS NOT NULL") == "6")
        #expect(try s.sql("SELECT count(*) FROM files WHERE state <> 0") == "6")
        #expect(try s.catalogued("deleted").isDisjoint(with: s.filesOnDisk))
        // Again: nothing left in that range.
        let again = try s.delete(["--categories", "raw/nidas", "--before", "2017-05-02", "--yes"])
        #expect(again.status == 3 && again.stdout.contains("Nothing to do"), "\(again.stdout)")
        // As `find` and `covers` show them.
        let deleted = try #require(try tidemark(["find", "--db", s.db, "--state", "deleted", "--json"]).json() as? [[String: Any]])
        #expect(deleted.count == 6)
        #expect(deleted.allSatisfy { $0["gone_by"] as? String == "policy run \(run)" && $0["gone_at"] is String && $0["start"] is String })
        // "This hour was covered once, and was aged off by run N."
        let covers = try #require(try tidemark(["covers", "2017-05-01T05:00:00Z", "--include-gone", "--db", s.db, "--json"]).json() as? [[String: Any]])
        let raw = try #require(covers.first { $0["category"] as? String == "raw/nidas" })
        #expect(raw["state"] as? String == "deleted" && raw["gone_by"] as? String == "policy run \(run)")
    }

    @Test(arguments: TestStore.allCases)
    func aChangedFileIsSkippedAndTheRunEndsWithFaults(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store) else { return }
        s.tree.write("raw_data/isfs_20170501_040000.dat", size: 201)  // grown since the scan
        let r = try s.delete(["--categories", "raw/nidas", "--before", "2017-05-02", "--yes"])
        #expect(r.status == 4, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("skipped") && r.stdout.contains("size changed"))
        #expect(FileManager.default.fileExists(atPath: s.tree.path("raw_data/isfs_20170501_040000.dat")))
    }

    @Test(arguments: TestStore.allCases)
    func unknownCategoriesAndBadArgumentsAreRefused(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store, days: 1) else { return }
        let before = s.catalogBytes
        let r = try s.delete(["--categories", "raw/nidsa", "--before", "2017-05-02", "--yes"])
        #expect(r.status == 2 && r.stderr.contains("unknown category 'raw/nidsa'") && r.stderr.contains("did you mean 'raw/nidas'"))
        #expect(try s.delete(["--categories", "merge", "--yes"]).status == 64)  // no range, size or watermark
        #expect(try s.delete(["--categories", "merge", "--before", "2017-05-02", "--keep-newest", "0"]).status == 64)
        #expect(try s.delete(["--categories", "merge", "--size", "1", "--free", "1G"]).status == 64)
        #expect(s.catalogBytes == before)
        #expect(!FileManager.default.fileExists(atPath: s.db + ".lock"))
    }

    @Test(arguments: TestStore.allCases)
    func untilUsageFreesTheRootsFileSystemBelowTheMark(_ store: TestStore) throws {
        guard let db = try store.freshLocation() else { return }
        guard let mount = mountTmpfs("tmpfs-usage", size: "400k") else { return }
        defer { unmount(mount) }
        // 90 files of one 4 kB page each: 360 kB of 400 kB, 90 % used.
        for i in 0..<90 {
            let path = mount + String(format: "/merge/isfs_201705%02d_%02d0000.dat", 1 + i / 6, (i % 6) * 4)
            try? FileManager.default.createDirectory(atPath: mount + "/merge", withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(count: 4096)))
        }
        try scanIntoCatalog(store: store, db: db, ["perdigao/ustar", "--scan", mount, "--catalogs", packageRoot + "/catalogs", "--quiet"])
        let calm = try tidemark(["delete", "--context", "perdigao/ustar", "--db", db, "--categories", "merge", "--until-usage", "95%"])
        #expect(calm.status == 3 && calm.stdout.contains("not above 95%"), "\(calm.stdout)")
        let r = try tidemark(["delete", "--context", "perdigao/ustar", "--db", db, "--categories", "merge", "--until-usage", "80%", "--yes", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        var vfs = statvfs()
        #expect(statvfs(mount, &vfs) == 0)
        let used = Double(vfs.f_blocks - vfs.f_bfree) / Double(vfs.f_blocks - vfs.f_bfree + vfs.f_bavail)
        #expect(used < 0.80 && used > 0.75, "used \(used)")
        // The oldest went; the newest is still there.
        #expect(!FileManager.default.fileExists(atPath: mount + "/merge/isfs_20170501_000000.dat"))
        #expect(FileManager.default.fileExists(atPath: mount + "/merge/isfs_20170515_200000.dat"))
    }
}
