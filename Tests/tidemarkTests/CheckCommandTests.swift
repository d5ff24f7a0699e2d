import Foundation
import Testing
import TestSupport
import TidemarkCore

/// `tidemark check`: each state reached for real on catalogs made by real scans, the line and
/// the exit status as Nagios reads them.
@Suite struct CheckCommandTests {
    let catalogs = packageRoot + "/catalogs"

    /// Two days of ISFS data (2017-05-01 and 02) scanned just now.
    func scanned() throws -> String {
        let tree = TempTree("check")
        makeIsfsTree(tree)
        let db = temporaryDirectory("check-db") + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"]).status == 0)
        return db
    }

    /// Runs a check; asserts the line's shape and that the exit status is the state's.
    func check(_ args: [String], _ state: String, _ status: Int32, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> String {
        let r = try tidemark(["check"] + args)
        let line = r.stdout.trimmingCharacters(in: .newlines)
        #expect(!line.contains("\n"), "one line: \(r.stdout)", sourceLocation: sourceLocation)
        #expect(line.hasPrefix("TIDEMARK ") && line.contains(" \(state) - "), "\(args): \(line) \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.status == status, "\(args): exit \(r.status): \(line)", sourceLocation: sourceLocation)
        return line
    }

    @Test(arguments: Store.allCases) func scanAgeGoesFromOKToCritical(_ store: Store) throws {
        guard let db = try store.db(try scanned()) else { return }
        let base = ["scan-age", "--context", "perdigao/ustar", "--warning", "26h", "--critical", "50h", "--db", db]
        let ok = try check(base, "OK", 0)
        #expect(ok.hasPrefix("TIDEMARK SCAN-AGE OK - perdigao/ustar: last completed scan "))
        #expect(ok.contains(" | age=") && ok.hasSuffix("s;93600;180000;0"), "\(ok)")
        _ = try check(base + ["--now", "+30h"], "WARNING", 1)
        _ = try check(base + ["--now", "+3d"], "CRITICAL", 2)
        let missing = try check(["scan-age", "--context", "nowhere/none", "--warning", "1h", "--db", db], "UNKNOWN", 3)
        #expect(missing.contains("context 'nowhere/none' is not in the catalog"))
    }

    @Test(arguments: Store.allCases) func arrivalSaysWhenDataStoppedComing(_ store: Store) throws {
        guard let db = try store.db(try scanned()) else { return }
        // The newest raw/nidas file starts 2017-05-02T20:00 and ends at 2017-05-03T00:00.
        let base = ["arrival", "--context", "perdigao/ustar", "--category", "raw/nidas", "--warning", "2h", "--critical", "4h", "--db", db]
        let ok = try check(base + ["--now", "2017-05-03T01:00:00Z"], "OK", 0)
        #expect(ok == "TIDEMARK ARRIVAL OK - perdigao/ustar raw/nidas: newest data ends 2017-05-03T00:00:00Z, 1h 0m ago | age=3600s;7200;14400", "\(ok)")
        _ = try check(base + ["--now", "2017-05-03T03:00:00Z"], "WARNING", 1)
        _ = try check(base + ["--now", "2017-05-04"], "CRITICAL", 2)
        let stream = try check(base + ["--stream", "isfs", "--now", "2017-05-03T01:00:00Z"], "OK", 0)
        #expect(stream.contains("raw/nidas stream isfs: newest data ends 2017-05-03T00:00:00Z"), "\(stream)")
        let none = try check(base + ["--stream", "nosuch"], "CRITICAL", 2)
        #expect(none.contains("no live data catalogued"))
    }

    @Test func anythingThatStopsTheCheckIsUnknownNeverUsage() throws {
        let unreadable = try check(["scan-age", "--context", "c", "--warning", "1h", "--db", "/nonexistent/c.db"], "UNKNOWN", 3)
        #expect(unreadable.hasPrefix("TIDEMARK SCAN-AGE UNKNOWN - "))
        let garbage = temporaryDirectory("check-garbage") + "/c.db"
        try "not a catalog".write(toFile: garbage, atomically: true, encoding: .utf8)
        _ = try check(["arrival", "--context", "c", "--category", "raw", "--warning", "1h", "--db", garbage], "UNKNOWN", 3)
        let db = try scanned()
        _ = try check(["scan-age", "--context", "perdigao/ustar", "--warning", "soon", "--db", db], "UNKNOWN", 3)
        _ = try check(["scan-age", "--context", "perdigao/ustar", "--db", db], "UNKNOWN", 3)
        _ = try check(["scan-age", "--warning", "1h", "--db", db], "UNKNOWN", 3)
        _ = try check(["no-such-check"], "UNKNOWN", 3)
        #expect(try tidemark(["check", "--help"]).stdout.contains("never exits 64"))
    }

    @Test func gapsNameTheStreamAndTheGap() throws {
        let tree = TempTree("check-gaps")
        makeIsfsTree(tree)
        let db = temporaryDirectory("check-db") + "/c.db"
        tree.remove("raw_data/isfs_20170501_080000.dat")
        tree.remove("raw_data/isfs_20170501_120000.dat")
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"]).status == 0)
        let base = ["gaps", "--context", "perdigao/ustar", "--category", "raw/nidas", "--now", "2017-05-03", "--db", db]
        let critical = try check(base + ["--since", "2d", "--warning", "1h", "--critical", "6h"], "CRITICAL", 2)
        #expect(critical.hasPrefix("TIDEMARK GAPS CRITICAL - perdigao/ustar raw/nidas isfs: no data 2017-05-01T08:00:00Z to 2017-05-01T16:00:00Z (8h 0m)"),
                "\(critical)")
        #expect(critical.hasSuffix(" | streams_with_gaps=1;;;0;1"), "\(critical)")
        _ = try check(base + ["--since", "2d", "--warning", "1h", "--critical", "9h"], "WARNING", 1)
        _ = try check(base + ["--since", "1d", "--critical", "1h"], "OK", 0)
        _ = try check(base + ["--since", "a while", "--critical", "1h"], "UNKNOWN", 3)
    }

    @Test func policyRunReportsAgeAndFaults() throws {
        let s = try ScannedIsfs()
        let policies = packageRoot + "/policies"
        let base = ["policy-run", "ustar-nightly", "--warning", "26h", "--critical", "50h", "--db", s.db]
        let never = try check(base, "CRITICAL", 2)
        #expect(never.contains("policy 'ustar-nightly' has no run"))
        #expect(try tidemark(["policy", "run", "ustar-nightly", "--policies", policies, "--db", s.db, "--yes"]).status == 0)
        let ok = try check(base, "OK", 0)
        #expect(ok.hasPrefix("TIDEMARK POLICY-RUN OK - policy ustar-nightly run ") && ok.contains(" done ") && ok.contains(" 0 failed"), "\(ok)")
        _ = try check(base + ["--now", "+30h"], "WARNING", 1)
        _ = try check(base + ["--now", "+3d"], "CRITICAL", 2)

        // A run that skips a file changed since it was catalogued has faults: WARNING while young.
        let t = try ScannedIsfs()
        t.tree.write("raw_data/tse01_20170501_000000.dat", size: 7)
        #expect(try tidemark(["policy", "run", "ustar-nightly", "--policies", policies, "--db", t.db, "--yes"]).status == 4)
        let faulted = try check(["policy-run", "ustar-nightly", "--warning", "26h", "--critical", "50h", "--db", t.db], "WARNING", 1)
        #expect(faulted.contains(" faults ") && faulted.contains("1 skipped"), "\(faulted)")
    }

    @Test func diskFillsUpToCritical() throws {
        guard let mount = mountTmpfs("check-disk", size: "1m") else { return }
        defer { unmount(mount) }
        let root = mount + "/data"
        try FileManager.default.createDirectory(atPath: root + "/raw_data", withIntermediateDirectories: true)
        let db = temporaryDirectory("check-db") + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", root, "--db", db, "--catalogs", catalogs, "--quiet"]).status == 0)
        let base = ["disk", "--context", "perdigao/ustar", "--warning", "90%", "--critical", "97%", "--db", db]
        let ok = try check(base, "OK", 0)
        #expect(ok.contains("fullest \(root) at ") && ok.contains(" | \(root)=") && ok.hasSuffix("%;90;97;0;100"), "\(ok)")
        func fill(_ name: String, _ kilobytes: Int) {
            FileManager.default.createFile(atPath: root + "/" + name, contents: Data(repeating: 1, count: kilobytes * 1024))
        }
        fill("a", 940)
        let warning = try check(base, "WARNING", 1)
        #expect(warning.contains("\(root) at 9"), "\(warning)")
        fill("b", 70)
        _ = try check(base, "CRITICAL", 2)
        _ = try check(["disk", "--context", "perdigao/ustar", "--warning", "lots", "--db", db], "UNKNOWN", 3)
    }

    @Test func faultsCountFailedActions() throws {
        let s = try ScannedIsfs()
        let base = ["faults", "--warning", "1", "--critical", "10", "--db", s.db]
        let none = try check(base, "OK", 0)
        #expect(none.hasSuffix(" | policy_failed=0;1;10;0 copy_fault=0;1;10;0 dependent_fault=0;1;10;0 request_fault=0;1;10;0"), "\(none)")
        // A file that is a mount point cannot be removed (EBUSY): the run's action fails.
        let busy = s.tree.path("raw_data/tse01_20170501_000000.dat")
        guard isRoot, shell("/bin/mount", ["--bind", busy, busy]) == 0 else {
            Issue.record("this test bind-mounts a file and needs root (CI runs as root)"); return
        }
        defer { unmount(busy) }
        let run = try tidemark(["policy", "run", "ustar-nightly", "--policies", packageRoot + "/policies", "--db", s.db, "--yes"])
        #expect(run.status == 4, "\(run.stdout) \(run.stderr)")
        let warning = try check(base, "WARNING", 1)
        #expect(warning.contains("1 failed action(s): ustar-nightly run "), "\(warning)")
        _ = try check(["faults", "--critical", "1", "--db", s.db], "CRITICAL", 2)
        _ = try check(base + ["--since", "1h", "--now", "+2h"], "OK", 0)
    }

    @Test(arguments: Store.allCases) func faultsCountFailedWorkItemsOfTheQueuesNamed(_ store: Store) throws {
        let s = try ScannedIsfs()
        let catalog = try SQLiteCatalog(path: s.db, create: false)
        _ = try catalog.enqueue([WorkItem(key: "a"), WorkItem(key: "b")], queue: "copy")
        for claim in try catalog.claim(queue: "copy", worker: "w", lease: 60_000_000, limit: 2) { try catalog.fail(claim, reason: "unreachable") }
        guard let db = try store.db(s.db) else { return }
        let base = ["faults", "--warning", "1", "--critical", "2", "--db", db]
        _ = try check(base, "OK", 0)
        let critical = try check(base + ["--queue", "copy"], "CRITICAL", 2)
        #expect(critical.contains("2 failed work item(s) in copy") && critical.hasSuffix(" work_failed=2;1;2;0"), "\(critical)")
        _ = try check(base + ["--queue", "other"], "OK", 0)
    }

    @Test(arguments: Store.allCases) func faultsCountFaultedCopies(_ store: Store) throws {
        let ipp = TempTree("check-ipp")
        for h in 0..<2 { ipp.write("minidvodbs/g/db1/t\(h).fits", contents: TempTree.fitsHeader(dateObs: "2017-05-01T0\(h):00:00")) }
        let scannedDb = temporaryDirectory("check-copy-db") + "/c.db"
        #expect(try tidemark(["scan", "ipp/ps1", "--scan", ipp.root, "--db", scannedDb, "--catalogs", catalogs, "--quiet"]).status == 0)
        guard let db = try store.db(scannedDb) else { return }
        // The destination is a regular file: rsync cannot make a directory there.
        let blocker = temporaryDirectory("check-copy-dest") + "/a-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        for args in [["host", "add", "here"], ["copy", "queue", "--context", "ipp/ps1", "--category", "minidvodb", "--host", "here", "--path", blocker]] {
            let r = try tidemark(args + ["--db", db, "--catalogs", catalogs])
            #expect(r.status == 0, "\(args): \(r.stdout) \(r.stderr)")
        }
        let base = ["faults", "--warning", "1", "--critical", "10", "--db", db]
        _ = try check(base, "OK", 0)
        let run = try tidemark(["copy", "run", "--once", "--db", db, "--catalogs", catalogs])
        #expect(run.status == 4, "\(run.stdout) \(run.stderr)")
        let warning = try check(base, "WARNING", 1)
        #expect(warning.contains("1 copy(s) in fault (codes 1× ") && warning.contains(" copy_fault=1;1;10;0 "), "\(warning)")
        _ = try check(base + ["--since", "1h", "--now", "+2h"], "OK", 0)
    }
}
