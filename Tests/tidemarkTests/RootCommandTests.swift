import Foundation
import Testing
import TestSupport
import TidemarkCore

/// Roots, attacked the way operators get them wrong: one tree through a symlink and its
/// real path, a copy under a second root, nested roots, a `--scan` given once, an
/// unmounted disk, a moved tree. Afterwards `delete --yes` and `policy run --yes` remove
/// exactly what a correct single-root catalog would, and nothing elsewhere.
@Suite struct RootCommandTests {
    var store = TestStore.sqlite
    var db = temporaryDirectory("roots-db") + "/c.db"
    let catalogs = packageRoot + "/catalogs"
    let policies = packageRoot + "/policies"
    static let deleteArgs = ["--categories", "raw/nidas", "--categories", "merge", "--before", "2017-06-01"]

    @discardableResult
    func scan(_ roots: [String], context: String = "perdigao/ustar", _ extra: [String] = []) throws -> Run {
        try scanIntoCatalog(store: store, db: db, ["--context", context] + roots.flatMap { ["--scan", $0] } + ["--catalogs", catalogs] + extra,
                            checked: false)
    }

    func delete(_ extra: [String] = [], environment: [String: String] = [:]) throws -> Run {
        try tidemark(["delete", "--context", "perdigao/ustar", "--db", db, "--catalogs", catalogs] + Self.deleteArgs + extra,
                     environment: environment)
    }

    func roots(_ extra: [String] = []) throws -> [[String: Any]] {
        let r = try tidemark(["root", "list", "--db", db, "--catalogs", catalogs, "--json"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try r.json() as? [[String: Any]])
    }

    /// These tests on `backend`, with a catalog of their own; nil when there is no server.
    func on(_ backend: TestStore) throws -> RootCommandTests? {
        guard let location = try backend.freshLocation() else { return nil }
        var t = self
        (t.store, t.db) = (backend, location)
        return t
    }

    func count(_ query: String) throws -> Int { Int(try store.sql(db, query)) ?? -1 }

    /// What a correct single-root catalog's `delete` leaves of a scanned ISFS tree: every file
    /// but the raw/nidas and merge archives, less the newest of each of those two streams.
    static func afterSingleRootDelete(_ disk: Set<String>) -> Set<String> {
        disk.filter { f in
            !(f.hasPrefix("raw_data/isfs_") || f.hasPrefix("merge/isfs_")) || f.hasSuffix("_20170502_200000.dat")
        }
    }

    @Test func aTreeScannedThroughASymlinkAndByItsRealPathIsCataloguedOnceAndKeepsItsNewest() throws {
        let tree = TempTree("real")
        makeIsfsTree(tree)
        let link = temporaryDirectory("alias") + "/data"
        #expect(symlink(tree.root, link) == 0)
        let disk = onDisk(tree.root)
        #expect(try scan([link], ["--quiet"]).status == 0)
        let again = try scan([tree.root], ["--json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect((try again.json() as? [String: Any])?["unchanged"] as? Int == 39, "\(again.stdout)")
        #expect(try count("SELECT count(*) FROM files") == 39)
        #expect(try count("SELECT count(*) FROM roots") == 1)
        let r = try delete(["--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(onDisk(tree.root) == Self.afterSingleRootDelete(disk))
    }

    @Test func theSameRootGivenTwiceInOneScanIsWalkedOnce() throws {
        let tree = TempTree("twice")
        makeIsfsTree(tree)
        let link = temporaryDirectory("alias2") + "/data"
        #expect(symlink(tree.root, link) == 0)
        for roots in [[tree.root, tree.root], [tree.root, link], [tree.root + "/", link]] {
            let r = try scan(roots, ["--json"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect((try r.json() as? [String: Any])?["files"] as? Int == 39, "\(roots): \(r.stdout)")
        }
        #expect(try count("SELECT count(*) FROM files") == 39)
    }

    @Test func aCopyUnderASecondRootNeverExposesTheFirst() throws {
        let a = TempTree("first"), b = TempTree("copy")
        makeIsfsTree(a)
        #expect(try scan([a.root], ["--quiet"]).status == 0)
        #expect(shell("/bin/cp", ["-a", a.root + "/.", b.root]) == 0)
        #expect(try scan([b.root], ["--quiet"]).status == 0)
        let diskA = onDisk(a.root), diskB = onDisk(b.root)
        let plan = try #require(try delete(["--json"]).json() as? [String: Any])
        let skipped = try #require(plan["skipped_roots"] as? [[String: Any]])
        #expect(skipped.count == 1 && skipped.first?["path"] as? String == a.root && skipped.first?["unavailable"] as? Bool == false)
        #expect((skipped.first?["why"] as? String)?.contains("stale") == true, "\(skipped)")
        let r = try delete(["--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(onDisk(a.root) == diskA, "files under the stale root were removed")
        #expect(onDisk(b.root) == Self.afterSingleRootDelete(diskB))
    }

    @Test func nestedRootsInOneDefinitionAreRefused() throws {
        let tree = TempTree("nested")
        makeIsfsTree(tree, days: 1)
        let defs = try siteDefinition(root: tree.root + "\", \"" + tree.root + "/raw_data")
        let r = try tidemark(["scan", "site/ustar", "--db", db, "--catalogs", defs])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("\(tree.root)/raw_data is inside root \(tree.root)"), "\(r.stderr)")
        #expect(try count("SELECT count(*) FROM files") <= 0)
    }

    @Test func aScanRootInsideOrAroundAnotherRootIsRefusedNamingBoth() throws {
        // The tree one level down in a folder of its own, so that a root around it is small.
        let parent = TempTree("around")
        let tree = TempTree("around-data")
        makeIsfsTree(tree, days: 1)
        let root = parent.root + "/Perdigao"
        #expect(rename(tree.root, root) == 0)
        // Within one command line.
        let same = try scan([root, root + "/raw_data"])
        #expect(same.status == 64 && same.stderr.contains("\(root)/raw_data is inside root \(root)"), "\(same.stderr)")
        #expect(try scan([root], ["--quiet"]).status == 0)
        // A second context over the first one's tree, below it, around it, or through a link.
        let defs = try siteDefinition(root: "/nonexistent/site")
        let link = temporaryDirectory("alias3") + "/merge"
        #expect(symlink(root + "/merge", link) == 0)
        for other in [root + "/merge", link, parent.root, root] {
            let r = try tidemark(["scan", "--context", "site/ustar", "--scan", other, "--db", db, "--catalogs", defs])
            #expect(r.status == 64, "\(other): \(r.stderr)")
            #expect(r.stderr.contains("root \(root) of context perdigao/ustar"), "\(r.stderr)")
        }
        // By its definition: a configuration error.
        let byDefinition = try tidemark(["scan", "site/ustar", "--db", db, "--catalogs", try siteDefinition(root: root + "/merge")])
        #expect(byDefinition.status == 2 && byDefinition.stderr.contains("perdigao/ustar"), "\(byDefinition.stderr)")
        #expect(try count("SELECT count(*) FROM files") == 20)
    }

    /// On both stores.
    @Test(arguments: TestStore.allCases)
    func aRootGivenOnceWithScanGoesStaleAndCanBeForgotten(_ backend: TestStore) throws {
        guard let t = try on(backend) else { return }
        try t.staleRootForgotten()
    }

    func staleRootForgotten() throws {
        let a = TempTree("once"), b = TempTree("nightly")
        makeIsfsTree(a)
        makeIsfsTree(b)
        #expect(try scan([a.root], ["--quiet"]).status == 0)
        #expect(try scan([b.root], ["--quiet"]).status == 0)
        let listed = try roots()
        let ra = try #require(listed.first { $0["path"] as? String == a.root })
        let rb = try #require(listed.first { $0["path"] as? String == b.root })
        #expect(ra["state"] as? String == "stale" && rb["state"] as? String == "current", "\(listed)")
        #expect(ra["context"] as? String == "perdigao/ustar" && ra["device"] is Int && ra["inode"] is Int && ra["last_scanned"] is String)
        #expect((ra["why"] as? String)?.contains("scan") == true && (rb["why"] as? String)?.contains("--scan") == true, "\(listed)")
        let text = try tidemark(["root", "list", "--db", db, "--catalogs", catalogs])
        #expect(text.status == 0 && text.stdout.contains("stale") && text.stdout.contains(a.root), "\(text.stdout)")

        let diskA = onDisk(a.root), diskB = onDisk(b.root)
        let plan = try delete()
        #expect(plan.status == 0 && plan.stdout.contains("skipped") && plan.stdout.contains(a.root), "\(plan.stdout)")
        let nightly = try tidemark(["policy", "run", "ustar-nightly", "--policies", policies, "--db", db, "--catalogs", catalogs, "--yes"])
        #expect(nightly.status == 0 && nightly.stdout.contains("skipped") && nightly.stdout.contains(a.root), "\(nightly.stdout)")
        #expect(try delete(["--yes"]).status == 0)
        #expect(onDisk(a.root) == diskA)
        #expect(onDisk(b.root).isSubset(of: Self.afterSingleRootDelete(diskB)))

        // A current root is not forgotten; a stale one is, its rows with it, recorded.
        let current = try tidemark(["root", "forget", b.root, "--db", db, "--catalogs", catalogs, "--yes"])
        #expect(current.status == 1 && current.stderr.contains("current"), "\(current.stderr)")
        let dry = try tidemark(["root", "forget", a.root, "--db", db, "--catalogs", catalogs])
        #expect(dry.status == 0 && dry.stdout.contains("39") && dry.stdout.contains("--yes"), "\(dry.stdout)\(dry.stderr)")
        #expect(try count("SELECT count(*) FROM files") == 78)
        let forget = try tidemark(["root", "forget", a.root, "--context", "perdigao/ustar", "--db", db, "--catalogs", catalogs, "--yes"])
        #expect(forget.status == 0, "\(forget.stderr)")
        #expect(try count("SELECT count(*) FROM files") == 39)
        #expect(try roots().count == 1)
        #expect(try count("SELECT count(*) FROM root_events WHERE event = 'forget' AND files = 39") == 1)
        #expect(onDisk(a.root) == diskA)
        let unknown = try tidemark(["root", "forget", a.root, "--db", db, "--catalogs", catalogs, "--yes"])
        #expect(unknown.status == 64 && unknown.stderr.contains("no root"), "\(unknown.stderr)")
        #expect(try store.danglingReferences(db) == "")
        let nowhere = try tidemark(["root", "list", "--context", "nowhere/host", "--db", db, "--catalogs", catalogs])
        #expect(nowhere.status == 64 && nowhere.stderr.contains("no context 'nowhere/host'"), "\(nowhere.stderr)")
        let noCatalog = try tidemark(["root", "forget", a.root, "--db", db + ".none", "--yes"])
        #expect(noCatalog.status == 1 && !FileManager.default.fileExists(atPath: db + ".none"))
    }

    @Test func anUnmountedDiskIsUnavailableAndNothingIsMarkedMissingOrRemoved() throws {
        let disk = TempTree("disk")
        makeIsfsTree(disk)
        let mountPoint = temporaryDirectory("mountpoint")
        // A bind mount stands for the data disk; without privileges, a directory swap.
        let mounted = isRoot && shell("/bin/mount", ["--bind", disk.root, mountPoint]) == 0
        defer { if mounted { shell("/bin/umount", [mountPoint]) } }
        let root = mounted ? mountPoint : disk.root
        let files = onDisk(root)
        #expect(try scan([root], ["--quiet"]).status == 0)
        let aside = disk.root + ".unmounted"
        if mounted { #expect(shell("/bin/umount", [mountPoint]) == 0) } else {
            #expect(rename(disk.root, aside) == 0)
            #expect(mkdir(disk.root, 0o755) == 0)
        }
        let r = try scan([root])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(root) && r.stderr.contains("mount") && r.stderr.contains("root forget"), "\(r.stderr)")
        #expect(try count("SELECT count(*) FROM files WHERE state <> 0") == 0)
        let d = try delete(["--yes"])
        #expect(d.status == 1 && d.stderr.contains(root) && d.stderr.contains("unavailable"), "\(d.stdout)\(d.stderr)")
        let p = try tidemark(["policy", "run", "ustar-nightly", "--policies", policies, "--db", db, "--catalogs", catalogs, "--yes"])
        #expect(p.status == 1, "\(p.stdout)\(p.stderr)")
        #expect(try count("SELECT count(*) FROM policy_runs") == 0)
        if mounted { #expect(shell("/bin/mount", ["--bind", disk.root, mountPoint]) == 0) } else {
            #expect(rmdir(disk.root) == 0 && rename(aside, disk.root) == 0)
        }
        #expect(onDisk(root) == files)
        let back = try scan([root], ["--json"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect((try back.json() as? [String: Any])?["unchanged"] as? Int == 39)
        #expect(try delete(["--yes"]).status == 0)
        #expect(onDisk(root) == Self.afterSingleRootDelete(files))
    }

    /// One scan through a symbolic link does not rename the root: an empty directory later
    /// left at its real path (an unmounted disk) is still caught there.
    @Test func aScanThroughALinkKeepsTheRealPathSoAnEmptyMountPointIsCaught() throws {
        let disk = TempTree("linked-disk")
        makeIsfsTree(disk)
        let link = temporaryDirectory("alias") + "/data"
        #expect(symlink(disk.root, link) == 0)
        #expect(try scan([disk.root], ["--quiet"]).status == 0)
        #expect(try scan([link], ["--quiet"]).status == 0)
        #expect(try roots().map { $0["path"] as? String } == [disk.root])
        let aside = disk.root + ".unmounted"
        #expect(rename(disk.root, aside) == 0 && mkdir(disk.root, 0o755) == 0)
        defer { _ = rmdir(disk.root); _ = rename(aside, disk.root) }
        let r = try scan([disk.root])
        #expect(r.status == 1 && r.stderr.contains("unavailable"), "\(r.stdout)\(r.stderr)")
        #expect(try count("SELECT count(*) FROM files WHERE state <> 0") == 0)
    }

    @Test func aMovedRootIsUnavailableUntilScannedAtItsNewPlace() throws {
        let parent = temporaryDirectory("moved")
        let tree = TempTree("moving")
        makeIsfsTree(tree)
        let files = onDisk(tree.root)
        let old = parent + "/Perdigao", new = parent + "/Perdigao-2017"
        #expect(rename(tree.root, old) == 0)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        #expect(try scan([old], ["--quiet"]).status == 0)
        #expect(rename(old, new) == 0)
        let d = try delete(["--yes"])
        #expect(d.status == 1 && d.stderr.contains(old), "\(d.status) \(d.stdout)\(d.stderr)")
        #expect(try count("SELECT count(*) FROM policy_runs") == 0)
        let gone = try scan([old])
        #expect(gone.status == 1 && gone.stderr.contains(old), "\(gone.stderr)")
        // Scanned at its new path, the tree is recognised by its identity: nothing new, nothing missing.
        let moved = try scan([new], ["--json"])
        #expect(moved.status == 0, "\(moved.stderr)")
        let o = try #require(try moved.json() as? [String: Any])
        #expect(o["unchanged"] as? Int == 39 && o["new"] as? Int == 0 && o["missing"] as? Int == 0, "\(moved.stdout)")
        #expect(try count("SELECT count(*) FROM files") == 39)
        #expect(try delete(["--yes"]).status == 0)
        #expect(onDisk(new) == Self.afterSingleRootDelete(files))
    }

    @Test func anUnreadableRootExitsOne() throws {
        guard isRoot else { return }  // permission checks need an unprivileged user
        let tree = TempTree("closed")
        makeIsfsTree(tree, days: 1)
        let dir = (db as NSString).deletingLastPathComponent
        makeWorldWritable(dir)
        chmod(tree.root, 0o700)
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs], asNobody: true)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(tree.root) && r.stderr.contains("permission denied"), "\(r.stderr)")
    }

    /// On both stores.
    @Test(arguments: TestStore.allCases)
    func aSettleUnderAnUnavailableRootSaysWhichRootAndLeavesItsIntentsOpen(_ backend: TestStore) throws {
        guard let t = try on(backend) else { return }
        try t.settleUnderAnUnavailableRoot()
    }

    /// A killed run's journal under a root that is gone for good: forgetting the root keeps
    /// every entry, open ones too, with its path.
    @Test(arguments: TestStore.allCases)
    func forgettingARootKeepsItsJournalWithThePaths(_ backend: TestStore) throws {
        guard let t = try on(backend) else { return }
        let tree = TempTree("forget-journal")
        makeIsfsTree(tree)
        #expect(try t.scan([tree.root], ["--quiet"]).status == 0)
        let killed = try t.delete(["--yes"], environment: ["TIDEMARK_TEST_KILL_AFTER_REMOVALS": "3"])
        #expect(killed.status == SIGKILL, "\(killed.status) \(killed.stderr)")
        let entries = try t.count("SELECT count(*) FROM journal")
        let open = try t.count("SELECT count(*) FROM journal WHERE result IS NULL")
        #expect(entries > 3 && entries == open)
        // The disk is gone: an empty directory where the root was.
        #expect(rename(tree.root, tree.root + ".gone") == 0 && mkdir(tree.root, 0o755) == 0)
        let r = try tidemark(["root", "forget", tree.root, "--context", "perdigao/ustar", "--db", t.db, "--catalogs", catalogs, "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try t.count("SELECT count(*) FROM journal") == 0)
        #expect(try t.count("SELECT count(*) FROM files") == 0)
        #expect(try t.count("SELECT count(*) FROM forgotten_journal WHERE result IS NULL") == entries)
        let path = tree.root + "/raw_data/isfs_20170501_000000.dat"
        #expect(try t.count("SELECT count(*) FROM forgotten_journal WHERE path = CAST('\(path)' AS \(backend == .sqlite ? "BLOB" : "bytea"))") == 1)
        #expect(try t.count("SELECT count(*) FROM root_events WHERE event = 'forget' AND files = 39") == 1)
        try? FileManager.default.removeItem(atPath: tree.root + ".gone")
    }

    func settleUnderAnUnavailableRoot() throws {
        let tree = TempTree("settle")
        makeIsfsTree(tree)
        #expect(try scan([tree.root], ["--quiet"]).status == 0)
        let files = onDisk(tree.root)
        let killed = try delete(["--yes"], environment: ["TIDEMARK_TEST_KILL_AFTER_REMOVALS": "3"])
        #expect(killed.status == SIGKILL, "\(killed.status) \(killed.stderr)")
        let open = try count("SELECT count(*) FROM journal WHERE result IS NULL")
        #expect(open == 22)
        // An empty directory where the root was.
        let aside = tree.root + ".away"
        #expect(rename(tree.root, aside) == 0 && mkdir(tree.root, 0o755) == 0)
        let r = try delete(["--yes"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect((r.stdout + r.stderr).contains("\(open) ") && (r.stdout + r.stderr).contains(tree.root), "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("open"), "\(r.stderr)")
        #expect(try count("SELECT count(*) FROM journal WHERE result IS NULL") == open)
        #expect(try count("SELECT count(*) FROM files WHERE state <> 0") == 0)
        // Back in place, the next run settles it: three were removed before the kill.
        #expect(rmdir(tree.root) == 0 && rename(aside, tree.root) == 0)
        let next = try delete(["--yes", "--json"])
        #expect(next.status == 0, "\(next.stderr)")
        let settled = try #require((try next.json() as? [String: Any])?["settled"] as? [String: Any])
        #expect(settled["removed"] as? Int == 3 && settled["not_done"] as? Int == 19, "\(settled)")
        #expect(onDisk(tree.root) == Self.afterSingleRootDelete(files))
    }

    /// Files below a directory, relative.
    func onDisk(_ root: String) -> Set<String> {
        var out = Set<String>()
        guard let e = FileManager.default.enumerator(atPath: root) else { return out }
        while let rel = e.nextObject() as? String {
            var d: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &d), !d.boolValue { out.insert(rel) }
        }
        return out
    }
}
