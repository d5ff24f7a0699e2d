import Foundation
import Testing
import TestSupport
import TidemarkCore
import TidemarkPostgres

/// `tidemark policy plan|run`: the shipped policies, malformed ones, the lock, and a run
/// killed half-way that the next run completes; on both stores.
@Suite struct PolicyCommandTests {
    let policies = packageRoot + "/policies"

    @Test(arguments: TestStore.allCases)
    func theShippedPolicyPlansAndRunsOnAnIsfsTree(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store) else { return }
        let before = s.catalogBytes
        let plan = try tidemark(["policy", "plan", "ustar-nightly", "--policies", policies, "--db", s.db])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("dsm raw once merged") && plan.stdout.contains("raw_data/tse01_20170501_000000.dat"))
        #expect(s.catalogBytes == before, "policy plan changed the catalog file")
        let run = try tidemark(["policy", "run", "ustar-nightly", "--policies", policies, "--db", s.db, "--yes", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let purged = try s.catalogued("purged")
        #expect(purged.count == 11 && !purged.contains("raw_data/tse01_20170502_200000.dat"))
        #expect(purged.isDisjoint(with: s.filesOnDisk))
    }

    @Test(arguments: TestStore.allCases)
    func policyRunWithoutYesOnlyPlans(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store, days: 1) else { return }
        let before = s.catalogBytes
        let r = try tidemark(["policy", "run", "ustar-nightly", "--policies", policies, "--db", s.db])
        #expect(r.status == 0 && r.stdout.contains("Run again with --yes"))
        #expect(s.catalogBytes == before)
    }

    /// A plan names a catalog that is not there: it says so, and creates nothing (on
    /// PostgreSQL, not even the schema in the empty database).
    @Test(arguments: TestStore.allCases)
    func aPlanOrQueryOnACatalogNotThereCreatesNothing(_ store: TestStore) throws {
        guard let db = try store.freshLocation() else { return }
        for command in [["policy", "plan", "ustar-nightly", "--policies", policies],
                        ["delete", "--context", "perdigao/ustar", "--categories", "merge", "--before", "2017-05-02"],
                        ["root", "forget", "/nowhere", "--context", "perdigao/ustar"],
                        ["find", "--context", "perdigao/ustar"], ["covers", "2017-05-01"], ["report"], ["root", "list"]] {
            let r = try tidemark(command + ["--db", db, "--catalogs", packageRoot + "/catalogs"])
            #expect(r.status == 1 && r.stderr.contains("no catalog here yet"), "\(command): \(r.stderr)")
        }
        switch store {
        case .sqlite: #expect(!FileManager.default.fileExists(atPath: db))
        case .postgres: #expect(try psql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0")
        }
    }

    @Test(arguments: TestStore.allCases, [
        ("[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\nolder_then = \"3d\"", "p.toml:5: rule[1].older_then: unknown key"),
        ("[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\nwhen_above = \"80%\"\nuntil_below = \"90%\"", "p.toml:6: rule[1].until_below"),
        ("[[rule]]\nkind = \"age-off\"\ncategories = [\"merged\"]\nolder_than = \"3d\"", "p.toml:4: rule[1].categories: unknown category 'merged'"),
        ("[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\nolder_than = 3.5", "p.toml:5: rule[1].older_than"),
    ])
    func aMalformedPolicyIsRefusedBeforeAnythingHappens(_ store: TestStore, _ policy: (String, String)) throws {
        let (rules, message) = policy
        guard let s = try ScannedIsfs(store: store, days: 1) else { return }
        let dir = temporaryDirectory("bad-policies")
        try ("context = \"perdigao/ustar\"\n" + rules).write(toFile: dir + "/p.toml", atomically: true, encoding: .utf8)
        let before = s.catalogBytes
        let disk = s.filesOnDisk
        let r = try tidemark(["policy", "run", "p", "--policies", dir, "--db", s.db, "--yes"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(s.catalogBytes == before && s.filesOnDisk == disk)
        #expect(!FileManager.default.fileExists(atPath: s.db + ".lock"))
    }

    @Test func eachCommandsHelpListsOnlyWhatItCanDo() throws {
        // Help text is wrapped to the terminal: compare it as one line.
        func oneLine(_ r: Run) -> String { r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let plan = try tidemark(["policy", "plan", "--help"])
        #expect(plan.status == 0)
        for absent in ["--yes", "4 done with faults", "5 refused", "lock"] {
            #expect(!oneLine(plan).contains(absent), "policy plan --help mentions \(absent)")
        }
        #expect(oneLine(plan).contains("3 nothing to do") && oneLine(plan).contains("64 bad command line"))
        for command in [["policy", "run"], ["delete"]] {
            let help = try tidemark(command + ["--help"])
            for present in ["--yes", "3 nothing to do", "4 done with faults", "5 refused", "64 bad command line"] {
                #expect(oneLine(help).contains(present), "\(command) --help lacks \(present)")
            }
        }
    }

    @Test(arguments: TestStore.allCases)
    func aSecondRunIsRefusedWhileAnotherHoldsTheLock(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store, days: 1) else { return }
        let disk = s.filesOnDisk
        let catalog: any RunLocking = store == .sqlite ? try SQLiteCatalog(path: s.db, create: false) : try PostgresCatalog(url: s.db)
        var held: PolicyLock? = try PolicyLock(catalog: catalog, context: "perdigao/ustar", holder: "policy run held")
        let r = try s.delete(["--categories", "merge", "--before", "2017-05-02", "--yes"])
        #expect(r.status == 5, "\(r.stderr)")
        #expect(r.stderr.contains("another policy run holds the catalog \(CatalogLocation(s.db).masked) (policy run held, pid \(getpid())"), "\(r.stderr)")
        let p = try tidemark(["policy", "run", "ustar-nightly", "--policies", policies, "--db", s.db, "--yes"])
        #expect(p.status == 5)
        #expect(s.filesOnDisk == disk)
        // Plans change nothing and need no lock.
        #expect(try s.delete(["--categories", "merge", "--before", "2017-05-02"]).status == 0)
        #expect(held != nil)
        held = nil  // released: the next run goes ahead
        #expect(try s.delete(["--categories", "merge", "--before", "2017-05-02", "--yes"]).status == 0)
    }

    @Test(arguments: TestStore.allCases)
    func aRunKilledHalfWayIsCompletedByTheNextRun(_ store: TestStore) throws {
        guard let s = try ScannedIsfs(store: store) else { return }
        let args = ["--categories", "raw/nidas", "--categories", "raw/dsm", "--categories", "merge", "--before", "2017-05-03", "--yes", "--batch-size", "4"]
        // SIGKILL after the 10th removal: two batches complete, the third with intents
        // committed, two files removed and no results written.
        let killed = try s.delete(args + ["--json"], environment: ["TIDEMARK_TEST_KILL_AFTER_REMOVALS": "10"])
        #expect(killed.status == SIGKILL, "\(killed.status) \(killed.stderr)")
        let planned = 33  // 36 files less the newest of each of the three streams
        #expect(s.filesOnDisk.count == 36 + 2 + 1 - 10)  // 36 archives, two netCDF files and a README, less ten
        #expect(try s.sql("SELECT count(*) FROM journal WHERE result IS NULL") == "4")
        #expect(try s.sql("SELECT status FROM policy_runs") == "running")
        // A dry run meanwhile: files with open entries are left out, and nothing changes.
        let before = s.catalogBytes
        let plan = try #require(try s.delete(args.filter { $0 != "--yes" } + ["--json"]).json() as? [String: Any])
        #expect(plan["open_journal_entries"] as? Int == 4)
        #expect(s.catalogBytes == before)

        let next = try s.delete(args + ["--json"])
        #expect(next.status == 0, "\(next.stderr)")
        let j = try #require(try next.json() as? [String: Any])
        let settled = try #require(j["settled"] as? [String: Any])
        #expect(settled["runs"] as? [Int] == [1] && settled["removed"] as? Int == 2 && settled["not_done"] as? Int == 2)
        #expect((j["results"] as? [String: Int])?["done"] == planned - 10)

        // The catalog agrees with the disk: each file is live exactly when it is there.
        let onDisk = s.filesOnDisk
        #expect(try s.catalogued("live").isSubset(of: onDisk))
        #expect(try s.catalogued("deleted").count == planned && s.catalogued("deleted").isDisjoint(with: onDisk))
        // Nothing removed twice, nothing open, and each run reports what it did.
        #expect(try s.sql("SELECT count(*) FROM journal WHERE result IS NULL") == "0")
        #expect(try s.sql("SELECT count(*) FROM (SELECT file_id FROM journal WHERE result = 'done' GROUP BY file_id HAVING count(*) > 1) AS t") == "0")
        #expect(try s.sql("SELECT count(DISTINCT file_id) FROM journal WHERE result = 'done'") == "\(planned)")
        #expect(try s.sql("SELECT id || ' ' || status || ' ' || done FROM policy_runs ORDER BY id") == "1 interrupted 10\n2 done 23")
        #expect(try s.sql("SELECT gone_run, count(*) FROM files WHERE state = 2 GROUP BY gone_run ORDER BY gone_run") == "1|10\n2|23")
    }
}
