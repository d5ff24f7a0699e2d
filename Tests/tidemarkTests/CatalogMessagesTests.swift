import Foundation
import Testing
import TestSupport
import TidemarkCore

/// A catalog that cannot be used says why: a directory named as the catalog, a full disk at
/// any moment (not "input/output error"), and a disk that fills while `delete --yes` runs.
@Suite(.serialized) struct CatalogMessagesTests {
    let catalogs = packageRoot + "/catalogs"

    @Test func aDirectoryNamedAsTheCatalogIsSaidToBeOne() throws {
        let tree = TempTree("dbdir")
        makeIsfsTree(tree, days: 1)
        let dir = temporaryDirectory("dbdir")
        for args in [["find"], ["report"], ["covers", "20170501"], ["scan", "perdigao/ustar", "--scan", tree.root, "--catalogs", catalogs],
                     ["delete", "--context", "perdigao/ustar", "--categories", "merge", "--before", "20170502"]] {
            let r = try tidemark(args + ["--db", dir])
            #expect(r.status == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("\(dir): is a directory") && r.stderr.contains("--db \(dir)/catalog.sqlite"), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("input/output"), "\(args): \(r.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func aFullDiskIsCalledFullHoweverLittleIsLeft() throws {
        let tree = TempTree("full-fresh")
        makeIsfsTree(tree, days: 1)
        guard let mount = mountTmpfs("tmpfs-fresh", size: "400k") else { return }
        defer { unmount(mount) }
        // Room for the catalog file but not its WAL index, or for nothing at all.
        for free in [0, 8, 16, 32, 64] {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: mount)) ?? [] { try FileManager.default.removeItem(atPath: mount + "/" + f) }
            #expect(shell("/bin/dd", ["if=/dev/zero", "of=\(mount)/fill", "bs=1k", "count=\(400 - free)"]) == 0)
            let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", mount + "/c.db", "--catalogs", catalogs, "--quiet"])
            #expect(r.status == 1, "\(free) kB free")
            #expect(r.stderr.contains("the disk holding \(mount) is full: free space and run again"), "\(free) kB free: \(r.stderr)")
            #expect(!r.stderr.contains("input/output") && !r.stderr.contains("nothing was lost"), "\(free) kB free: \(r.stderr)")
        }
    }

    @Test func aDiskThatFillsDuringDeleteSaysWhatWasRemovedAndTheNextRunSettlesIt() throws {
        let tree = TempTree("full-delete")
        for i in 0..<2500 {
            let t = 1_493_596_800 + i * 14_400
            let d = Date(timeIntervalSince1970: TimeInterval(t))
            let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: d)
            tree.write(String(format: "raw_data/isfs_%04d%02d%02d_%02d0000.dat", c.year!, c.month!, c.day!, c.hour!), size: 1)
        }
        guard let mount = mountTmpfs("tmpfs-delete", size: "16m") else { return }
        defer { unmount(mount) }
        let db = mount + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"]).status == 0)
        let delete = ["delete", "--context", "perdigao/ustar", "--db", db, "--categories", "raw/nidas", "--before", "2030-01-01", "--yes"]
        // The disk fills right after the 1,000th removal, before the batch's results are written.
        let r = try tidemark(delete, environment: ["TIDEMARK_TEST_FILL_DISK_AFTER_REMOVALS": "1000"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("the disk holding \(mount) is full"), "\(r.stderr)")
        #expect(!r.stderr.contains("nothing was lost"), "\(r.stderr)")
        #expect(r.stderr.contains("removed 1,000 files") && r.stderr.contains("settles"), "\(r.stderr)")
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: tree.path("raw_data")).count
        #expect(onDisk == 1500)

        try FileManager.default.removeItem(atPath: db + ".test-fill")
        let next = try tidemark(delete)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdout.contains("1,000 files were removed before it stopped"), "\(next.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.path("raw_data")).count == 1)
        let deleted = try #require(try tidemark(["find", "--db", db, "--state", "deleted", "--limit", "5000", "--json"]).json() as? [Any])
        #expect(deleted.count == 2499)
    }
}
