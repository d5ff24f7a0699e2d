import Foundation
import Testing
import TestSupport
import TidemarkCore

/// Who may open a catalog, and how: a newer Tidemark's catalog is refused for reads and
/// writes; another user's catalog, or one on a read-only mount, can still be queried.
@Suite struct CatalogAccessTests {
    let catalogs = packageRoot + "/catalogs"
    let policies = packageRoot + "/policies"

    @Test(arguments: ["INSERT INTO grdb_migrations VALUES ('v99: from a newer Tidemark')", "PRAGMA user_version = 999"])
    func aCatalogFromANewerTidemarkIsRefusedForReadsAndWrites(_ change: String) throws {
        let s = try ScannedIsfs(days: 1)
        _ = try sql(s.db, change)
        for args in [["find"], ["report", "--json"], ["policy", "plan", "ustar-nightly", "--policies", policies],
                     ["scan", "perdigao/ustar", "--scan", s.tree.root, "--catalogs", catalogs],
                     ["delete", "--context", "perdigao/ustar", "--categories", "merge", "--before", "20170502", "--yes"]] {
            let r = try tidemark(args + ["--db", s.db])
            #expect(r.status == 1 && r.stderr.contains("written by a newer Tidemark") && r.stderr.contains("upgrade Tidemark"),
                    "\(args): \(r.status) \(r.stderr)")
        }
        #expect(try sql(s.db, "SELECT count(*) FROM scans") == "1")
        #expect(try sql(s.db, "SELECT count(*) FROM policy_runs") == "0")
    }

    /// A catalog root wrote, in a directory only root may write to, after its last writer
    /// closed it (no -wal, no -shm).
    func rootsClosedCatalog() throws -> ScannedIsfs {
        let s = try ScannedIsfs(days: 1)
        // The last connection to close folds the WAL into the file and removes -wal and -shm.
        _ = try sql(s.db, "PRAGMA wal_checkpoint(TRUNCATE)")
        #expect(!FileManager.default.fileExists(atPath: s.db + "-wal") && !FileManager.default.fileExists(atPath: s.db + "-shm"))
        return s
    }

    static let queries: [[String]] = [
        ["find", "--json"], ["covers", "20170501T01", "--json"], ["report", "--json"],
        ["coverage", "--from", "20170501", "--to", "20170502", "--json"],
    ]

    @Test(.enabled(if: isRoot, "needs root to drop to nobody")) func anotherUsersCatalogCanBeQueried() throws {
        let s = try rootsClosedCatalog()
        let before = s.catalogBytes
        for args in Self.queries {
            let r = try tidemark(args + ["--db", s.db], asNobody: true)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(((try? r.json()) as? [Any])?.isEmpty == false, "\(args): \(r.stdout)")
        }
        let plan = try tidemark(["policy", "plan", "ustar-nightly", "--policies", policies, "--db", s.db], asNobody: true)
        #expect(plan.status == 0 || plan.status == 3, "\(plan.stderr)")
        #expect(s.catalogBytes == before && !FileManager.default.fileExists(atPath: s.db + "-shm"))
    }

    @Test(.enabled(if: isRoot, "needs root to drop to nobody")) func changesOnlyInTheWALAreNotSilentlyMissed() throws {
        let s = try rootsClosedCatalog()
        // A writer that leaves its changes in the WAL, then a -shm nobody can recreate.
        let writer = try Process.run(URL(fileURLWithPath: "/usr/bin/sqlite3"),
                                     arguments: [s.db, ".dbconfig no_ckpt_on_close on", "UPDATE files SET size = size + 1"])
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
        try FileManager.default.removeItem(atPath: s.db + "-shm")
        let r = try tidemark(["find", "--db", s.db], asNobody: true)
        #expect(r.status == 1 && r.stderr.contains("PRAGMA wal_checkpoint(TRUNCATE)"), "\(r.status) \(r.stderr)")
    }

    /// Whether this process may make a mount namespace of its own (root, and not a
    /// container that forbids it).
    static let canMount: Bool = {
        guard isRoot, let p = try? Process.run(URL(fileURLWithPath: "/usr/bin/unshare"), arguments: ["-m", "true"]) else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    @Test(.enabled(if: canMount, "needs to mount (root, with unshare)"))
    func aCatalogOnAReadOnlyMountCanBeQueried() throws {
        for closed in [true, false] {
            let s = closed ? try rootsClosedCatalog() : try ScannedIsfs(days: 1)
            let mountPoint = temporaryDirectory("ro-mount")
            let db = mountPoint + "/c.db"
            for args in Self.queries {
                let r = try readOnlyMount(s.db, at: mountPoint, tidemark: args + ["--db", db])
                #expect(r.status == 0, "\(args) (closed: \(closed)): \(r.stderr)")
                #expect(((try? r.json()) as? [Any])?.isEmpty == false, "\(args): \(r.stdout)")
            }
        }
    }

    /// Runs `tidemark` in a mount namespace of its own where the catalog's directory is
    /// bound read-only at `mountPoint`.
    func readOnlyMount(_ db: String, at mountPoint: String, tidemark args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        let dir = (db as NSString).deletingLastPathComponent
        p.arguments = ["-m", "sh", "-c", "mount --bind \"$0\" \"$1\" && mount -o remount,ro,bind \"$1\" && shift && exec \"$@\"",
                       dir, mountPoint, tidemarkBinary] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}
