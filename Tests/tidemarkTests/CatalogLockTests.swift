import Foundation
import Testing
import TestSupport
import TidemarkCore

/// One policy run at a time per catalog, whatever name reaches it; a scan and a policy run
/// of one context never overlap; one scan of a context at a time; a killed scan is seen
/// as such; and a scan never brings back a file removed while it ran.
@Suite struct CatalogLockTests {
    @Test func twoNamesOfOneCatalogShareItsLock() throws {
        let s = try ScannedIsfs(days: 1)
        let dir = (s.db as NSString).deletingLastPathComponent
        #expect(symlink(s.db, dir + "/link.db") == 0)
        let held = try PolicyLock(catalog: SQLiteCatalog(path: s.db, create: false), context: "perdigao/ustar", holder: "policy run held")
        let disk = s.filesOnDisk
        for name in [dir + "/link.db", "./c.db", dir + "/../" + (dir as NSString).lastPathComponent + "/c.db"] {
            let r = try tidemark(["delete", "--context", "perdigao/ustar", "--db", name, "--categories", "merge", "--before", "2017-05-02", "--yes"], cwd: dir)
            #expect(r.status == 5, "through \(name): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("another policy run holds the catalog") && r.stderr.contains("(policy run held, pid \(getpid())"), "\(r.stderr)")
        }
        #expect(s.filesOnDisk == disk)
        withExtendedLifetime(held) {}
    }

    /// SQLite finds its write-ahead log by the name it opens: through a second hard link a
    /// run would see a stale catalog (and plan files already gone) and could corrupt it.
    @Test func aCatalogWithTwoHardLinksIsRefused() throws {
        let s = try ScannedIsfs(days: 1)
        let hard = (s.db as NSString).deletingLastPathComponent + "/hard.db"
        #expect(link(s.db, hard) == 0)
        let disk = s.filesOnDisk
        for db in [s.db, hard] {
            let r = try tidemark(["delete", "--context", "perdigao/ustar", "--db", db, "--categories", "merge", "--before", "2017-05-02", "--yes"])
            #expect(r.status == 1, "\(r.status) \(r.stderr)")
            #expect(r.stderr.contains("the catalog file has 2 names (hard links)"), "\(r.stderr)")
            #expect(try tidemark(["find", "--db", db]).status == 1)
        }
        #expect(s.filesOnDisk == disk)
        #expect(unlink(hard) == 0)
        #expect(try s.delete(["--categories", "merge", "--before", "2017-05-02", "--yes"]).status == 0)
    }

    /// A catalog the user cannot write is not "locked by another run" (exit 5) but cannot be used (exit 1).
    @Test(.enabled(if: isRoot)) func aCatalogTheUserCannotWriteIsNotTakenForALockedOne() throws {
        let s = try ScannedIsfs(days: 1)
        makeWorldWritable(s.tree.root + "/merge")
        let r = try tidemark(["delete", "--context", "perdigao/ustar", "--db", s.db, "--categories", "merge", "--before", "2017-05-02", "--yes"],
                             asNobody: true)
        #expect(r.status == 1, "\(r.status) \(r.stderr)")
        // SQLite or the lock finds it first, depending on the -wal and -shm files the scan left.
        #expect(r.stderr.contains("read-only"), "\(r.stderr)")
    }

    @Test func aScanAndAPolicyRunOfOneContextExcludeEachOther() throws {
        let cam = try CameraArchive()
        let paused = try cam.pausedScan(at: "b.fits", ["--reread"])
        let delete = try cam.delete()
        #expect(delete.status == 5, "\(delete.status) \(delete.stderr)")
        #expect(delete.stderr.contains("a scan of cam is running (pid \(paused.pid)"), "\(delete.stderr)")
        #expect(try cam.state("a.fits") == "live" && FileManager.default.fileExists(atPath: cam.tree.path("a.fits")))
        // Plans need no lock.
        #expect(try cam.delete(yes: false).status == 0)
        cam.resume()
        #expect(paused.finish().status == 0)

        // And a policy run on the context refuses a scan of it until it ends.
        var held: PolicyLock? = try PolicyLock(catalog: SQLiteCatalog(path: cam.db, create: false), context: "cam", holder: "policy run held")
        let scan = try cam.scan()
        #expect(scan.status == 5, "\(scan.status) \(scan.stderr)")
        #expect(scan.stderr.contains("policy run held (pid \(getpid())") && scan.stderr.contains("nothing was scanned"), "\(scan.stderr)")
        #expect(held != nil)
        held = nil
        #expect(try cam.scan().status == 0)
    }

    @Test func aSecondScanOfAContextIsRefusedWhileTheFirstRuns() throws {
        let cam = try CameraArchive(scanned: false)
        let first = try cam.pausedScan(at: "b.fits")
        let second = try cam.scan()
        #expect(second.status == 5, "\(second.status) \(second.stderr)")
        #expect(second.stderr.contains("another scan of cam is running (pid \(first.pid)"), "\(second.stderr)")
        #expect(!second.stderr.contains("UNIQUE"))
        cam.resume()
        #expect(first.finish().status == 0)
        #expect(try sql(cam.db, "SELECT group_concat(status) FROM scans") == "complete")
    }

    @Test func aKilledScanIsMarkedInterruptedByTheNext() throws {
        let cam = try CameraArchive(scanned: false)
        #expect(try cam.scan(environment: ["TIDEMARK_TEST_ABORT_READING": "b.fits"]).status != 0)
        #expect(try sql(cam.db, "SELECT status FROM scans") == "running")
        #expect(try cam.scan().status == 0)
        #expect(try sql(cam.db, "SELECT id || ' ' || status FROM scans ORDER BY id") == "1 interrupted\n2 complete")
    }

    @Test func aScanDoesNotReviveAFileRemovedWhileItRan() throws {
        let cam = try CameraArchive()
        let paused = try cam.pausedScan(at: "c.fits", ["--reread"])
        // Removed while the scan had read it, as by a run that took no lock (an older
        // Tidemark, or one on another host).
        cam.tree.remove("a.fits")
        // A row changed meanwhile whose file is still there, as the scan saw it, is made live:
        // the catalog follows the disk.
        _ = try sql(cam.db, "PRAGMA busy_timeout = 10000; UPDATE files SET state = 2, gone_at = 1 WHERE CAST(name AS TEXT) IN ('a.fits', 'b.fits')")
        cam.resume()
        let r = paused.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try cam.state("a.fits") == "deleted")
        #expect(try cam.state("b.fits") == "live" && cam.state("c.fits") == "live")
    }

    @Test func threadsAreBounded() throws {
        let cam = try CameraArchive(scanned: false)
        for n in ["1000000000", "257"] {
            let r = try Started(cam.scanArguments + ["--threads", n]).finish(timeout: 20)
            #expect(r.status == 64, "--threads \(n): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("--threads must be between 1 and 256"), "\(r.stderr)")
        }
        #expect(cam.readingRecord == nil)
        #expect(try cam.scan(["--threads", "256"]).status == 0)
    }

    @Test func anOversizedReadingRecordDoesNotBreakTheNextScan() throws {
        let cam = try CameraArchive()
        let record = try #require(cam.readingRecord)
        #expect(truncate(record, 4 << 40) == 0)  // 4 TB, sparse: what `--threads 1000000000` used to leave
        let r = try Started(cam.scanArguments).finish(timeout: 30)
        #expect(r.status == 0, "\(r.status) \(r.stderr)")
        let size = (try FileManager.default.attributesOfItem(atPath: record)[.size] as? Int) ?? -1
        #expect(size > 0 && size <= 1 << 20)
    }
}

/// The run lock of the store knows whether its holder is alive, across processes.
@Suite struct RunLockProbeTests {
    @Test func aKilledHolderIsReportedDeadAndItsLockFree() throws {
        let cam = try CameraArchive()
        let paused = try cam.pausedScan(at: "b.fits", ["--reread"])
        let store: any RunLocking = try SQLiteCatalog(path: cam.db, create: false)
        guard case .held(let h?) = try store.probe(.context("cam")) else { Issue.record("the paused scan's lock not seen"); return }
        #expect(h.holder == "scan" && h.pid == Int64(paused.pid))
        kill(paused.pid, SIGKILL)
        _ = paused.finish()
        guard case .free(let dead?) = try store.probe(.context("cam")) else { Issue.record("the killed scan not reported dead"); return }
        #expect(dead.pid == Int64(paused.pid))
        cam.resume()
    }
}
