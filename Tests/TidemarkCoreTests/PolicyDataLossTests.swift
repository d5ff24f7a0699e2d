import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// Issue 8's data-loss items of the planner and executor, attacked: half datasets (3),
/// cover removed after use (4), a rewrite with its mtime restored (8), and a future-dated
/// name taken for the newest file of a stream (9). Each test fails without its guard.
@Suite struct PolicyDataLossTests {
    /// Two days of files, not scanned yet, on `store`.
    static func fixture(_ store: TestStore) throws -> PolicyFixture? {
        guard let f = try PolicyFixture.on(store) else { return nil }
        f.makeTree()
        return f
    }

    // MARK: 3. Datasets go whole or not at all, at execution too

    /// Two minidvodbs of six one-hour tables: dbs/old on May 1 and dbs/new on May 2 (whose
    /// last table is the newest of stream g, so only dbs/old may go).
    func makeDatabases(_ f: PolicyFixture) {
        for (db, day) in [("old", 1), ("new", 2)] {
            for h in 0..<6 { f.tree.write("dbs/\(db)/t_2017050\(day)_0\(h)0000.tab", size: 50) }
        }
    }

    let ageOffDatabases = "[[rule]]\nkind = \"age-off\"\ncategories = [\"minidvodb\"]\nbefore = \"2017-05-02\""

    func expectDatabaseKept(_ f: PolicyFixture, _ r: ExecutionReport, naming member: String) {
        #expect(r.count(.done) == 0)
        for h in 0..<6 { #expect(f.exists("dbs/old/t_20170501_0\(h)0000.tab")) }
        for a in r.results {
            #expect(a.result == .skipped && a.detail?.contains(member) == true && a.detail?.contains("dbs/old") == true, "\(a.detail ?? "")")
        }
        #expect(r.hasFaults)
    }

    /// Two rules with different `keep_newest` on one stream in one batch: the executor
    /// re-checks each action against its own rule's newest files, as the planner chose them,
    /// so a larger keep of one rule does not hold back (and split) another rule's dataset.
    @Test(arguments: TestStore.allCases)
    func eachRuleKeepsItsOwnNewestAtExecution(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        for (db, day) in [("old", 1), ("mid", 2), ("new", 3)] {
            for h in 0..<6 { f.tree.write("dbs/\(db)/t_2017050\(day)_0\(h)0000.tab", size: 50) }
        }
        try f.scan()
        let plan = try f.plan("""
            [[rule]]
            kind = "age-off"
            categories = ["minidvodb"]
            time = "2017-05-02,2017-05-03"
            keep_newest = 1
            [[rule]]
            kind = "age-off"
            categories = ["minidvodb"]
            before = "2017-05-02"
            keep_newest = 7
            """)
        #expect(plan.actions.count == 12)
        let r = try f.execute(plan)
        #expect(r.count(.done) == 12 && !r.hasFaults, "\(r.results.compactMap(\.detail))")
        for h in 0..<6 { #expect(f.exists("dbs/new/t_20170503_0\(h)0000.tab") && !f.exists("dbs/mid/t_20170502_0\(h)0000.tab")) }
    }

    @Test(arguments: TestStore.allCases)
    func aDatasetWithOneMemberChangedOnDiskAfterThePlanIsKeptWholeAcrossBatches(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        makeDatabases(f)
        try f.scan()
        let plan = try f.plan(ageOffDatabases)
        #expect(plan.actions.count == 6 && plan.actions.allSatisfy { $0.reason.contains("dbs/old") })
        // The last table, in the second batch of four, grew since the scan.
        f.tree.write("dbs/old/t_20170501_050000.tab", size: 60)
        var options = ExecutionOptions()
        options.batchSize = 4
        let r = try f.execute(plan, options: options)
        expectDatabaseKept(f, r, naming: "t_20170501_050000.tab")
        #expect(try f.scalar("SELECT count(*) FROM journal WHERE result = 'skipped'") == 6)
        #expect(try f.scalar("SELECT count(*) FROM files WHERE state <> 0") == 0)
    }

    /// A table rewritten, and a table added: either way a scan between the plan and its
    /// execution catalogued it anew.
    @Test(arguments: TestStore.allCases, [("t_20170501_000000.tab", 60), ("t_20170501_060000.tab", 50)])
    func aDatasetCataloguedAnewSinceThePlanIsKeptWhole(_ store: TestStore, _ change: (String, Int)) throws {
        guard let f = try Self.fixture(store) else { return }
        let (table, size) = change
        makeDatabases(f)
        try f.scan()
        let plan = try f.plan(ageOffDatabases)
        f.tree.write("dbs/old/" + table, size: size)
        try f.scan()
        expectDatabaseKept(f, try f.execute(plan), naming: table)
        #expect(f.exists("dbs/old/" + table))
    }

    @Test(arguments: TestStore.allCases)
    func aPlanHoldingPartOfADatasetRemovesNoneOfIt(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        makeDatabases(f)
        try f.scan()
        var plan = try f.plan(ageOffDatabases)
        plan.actions.removeLast()  // as a plan built before the last table was catalogued would be
        let r = try f.execute(plan)
        #expect(r.count(.done) == 0 && r.results.allSatisfy { $0.result == .skipped })
        for h in 0..<6 { #expect(f.exists("dbs/old/t_20170501_0\(h)0000.tab")) }
    }

    @Test(arguments: TestStore.allCases)
    func anUnchangedDatasetStillGoesWhole(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        makeDatabases(f)
        try f.scan()
        var options = ExecutionOptions()
        options.batchSize = 4
        let r = try f.execute(try f.plan(ageOffDatabases), options: options)
        #expect(r.count(.done) == 6 && !r.hasFaults)
        for h in 0..<6 { #expect(!f.exists("dbs/old/t_20170501_0\(h)0000.tab")) }
    }

    // MARK: 4. A file relied on as cover stays

    @Test(arguments: TestStore.allCases)
    func aLaterRuleDoesNotTakeTheCoverOfAnEarlierPurge(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        try f.scan()
        let plan = try f.plan(cleanupThenAgeOffRules(category: "raw/nidas", sameStream: true))
        let purges = plan.actions.filter { $0.kind == .purge }
        #expect(purges.count == 11)
        let cover = Set(purges.flatMap(\.coveredBy))
        #expect(cover.count == 11)
        #expect(!plan.actions.contains { $0.kind == .delete && cover.contains($0.fileId) })
        #expect(plan.rules[1].note.contains("11 files kept") && plan.rules[1].note.contains("cover") && plan.rules[1].note.contains("raw once merged"),
                "\(plan.rules[1].note)")
        let r = try f.execute(plan)
        #expect(!r.hasFaults)
        for d in 1...2 { for h in stride(from: 0, to: 24, by: 4) { #expect(f.exists(String(format: "merge/isfs_201705%02d_%02d0000.dat", d, h))) } }
    }

    @Test(arguments: TestStore.allCases)
    func theExecutorRefusesToRemoveACoverThePlanReliesOn(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        try f.scan()
        var plan = try f.plan("[[rule]]\nkind = \"cleanup\"\ncategories = [\"raw/nidas\"]\ncovered_by = [\"merge\"]\nolder_than = \"1d\"")
        // Forge a deletion of the first purge's cover, after it in the plan.
        let cover = try #require(plan.actions.first?.coveredBy.first)
        let ageOff = try f.plan("[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\nbefore = \"2017-05-03\"")
        let forged = try #require(ageOff.actions.first { $0.fileId == cover })
        plan.actions.append(forged)
        let r = try f.execute(plan)
        #expect(r.results.last?.result == .skipped && r.results.last?.detail?.contains("cover") == true, "\(r.results.last?.detail ?? "")")
        #expect(FileManager.default.fileExists(atPath: forged.path.displayPath))
    }

    @Test(arguments: TestStore.allCases)
    func anInstantAtTheEndOfAProductIsNotCoveredByIt(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        // Exposures (FITS instants) of stream isfs; the last merge file covers [May 2 20:00, May 3 00:00).
        f.tree.write("exp/end.fits", contents: TempTree.fitsHeader(dateObs: "2017-05-03T00:00:00"))
        f.tree.write("exp/inside.fits", contents: TempTree.fitsHeader(dateObs: "2017-05-02T22:00:00"))
        f.tree.write("exp/newest.fits", contents: TempTree.fitsHeader(dateObs: "2017-05-10T00:00:00"))
        try f.scan()
        let plan = try f.plan("[[rule]]\nkind = \"cleanup\"\ncategories = [\"exposure\"]\ncovered_by = [\"merge\"]\nolder_than = \"1d\"")
        #expect(f.names(plan) == ["exp/inside.fits"])
    }

    @Test func theCoverIndexKeepsTheHalfOpenRule() {
        let t = Instant(year: 2017, month: 5, day: 3)!
        let s = Instant(microseconds: t.microseconds - 3_600_000_000), u = Instant(microseconds: t.microseconds + 3_600_000_000)
        var product = CoverIndex()
        product.add(Coverage(start: s, end: t), id: 1)
        product.prepare()
        #expect(product.covering(Coverage(start: t, end: t)) == nil)
        #expect(product.covering(Coverage(start: s, end: s)) == [1])
        #expect(product.covering(Coverage(start: s, end: t)) == [1])
        // An instant product covers an instant at its time; the next product covers t too.
        var more = product
        more.add(Coverage(start: t, end: t), id: 2)
        more.prepare()
        #expect(more.covering(Coverage(start: t, end: t)) == [2])
        more.add(Coverage(start: t, end: u), id: 3)
        more.prepare()
        #expect(more.covering(Coverage(start: t, end: t)).map(Set.init) == [2, 3])
        #expect(more.covering(Coverage(start: s, end: u)) == [1, 3])
    }

    @Test(arguments: TestStore.allCases)
    func everyCoverIsCheckedAgainNotOnlyTheFirst64(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        // Eighty 3-minute merge files cover the raw file of May 1 00:00-04:00.
        for m in stride(from: 3, to: 240, by: 3) { f.tree.write(String(format: "merge/isfs_20170501_%02d%02d00.dat", m / 60, m % 60), size: 300) }
        try f.scan()
        let plan = try f.plan("[[rule]]\nkind = \"cleanup\"\ncategories = [\"raw/nidas\"]\ncovered_by = [\"merge\"]\nolder_than = \"1d\"")
        let raw = "raw_data/isfs_20170501_000000.dat"
        let action = try #require(plan.actions.first { $0.path.displayPath == f.tree.path(raw) })
        #expect(action.coveredBy.count == 80)
        // The earliest cover, the 80th counting back from the latest, changed since the scan.
        f.tree.write("merge/isfs_20170501_000000.dat", size: 301)
        let r = try f.execute(plan)
        let a = try #require(f.result(r, raw))
        #expect(a.result == .skipped && a.detail?.contains("cover") == true, "\(a.detail ?? "")")
        #expect(f.exists(raw))
    }

    // MARK: 8. ctime: a rewrite with its mtime put back

    @Test(arguments: TestStore.allCases)
    func aFileRewrittenWithItsMtimeRestoredIsSkipped(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        try f.scan()
        let plan = try f.plan(ageOffAll)
        let victim = "raw_data/isfs_20170501_040000.dat"
        f.tree.rewriteKeepingMtime(victim)
        let r = try f.execute(plan)
        let a = try #require(f.result(r, victim))
        #expect(a.result == .skipped && a.detail?.contains("ctime") == true, "\(a.detail ?? "")")
        #expect(f.exists(victim))
        #expect(r.count(.done) == plan.actions.count - 1)
    }

    @Test(arguments: TestStore.allCases)
    func aRescanCountsARewriteWithItsMtimeRestoredAsChanged(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        try f.scan()
        let victim = "merge/isfs_20170501_040000.dat"
        f.tree.rewriteKeepingMtime(victim)
        let report = try f.scan()
        #expect(report.changed == 1 && report.unchanged == 35)
        let ctime = try FileStat.of(path: f.tree.path(victim).pathBytes).ctimeNanoseconds
        #expect(try f.scalar("SELECT count(*) FROM files WHERE ctime = \(ctime)") == 1)
        // Catalogued anew, it may go.
        let r = try f.execute(try f.plan(ageOffAll))
        #expect(f.result(r, victim)?.result == .done)
    }

    @Test(arguments: TestStore.allCases)
    func settlingComparesTheJournalsCtime(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        try f.scan()
        let plan = try f.plan(ageOffAll)
        let lock = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "test")
        // A run killed after committing its intents, before removing anything.
        let run = try f.store.beginRun(policy: "p", contextId: plan.contextId, planned: 1, now: f.now, lock)
        _ = try f.store.writeIntents(run: run, [JournalEntry(action: plan.actions[0])], at: f.now)
        f.tree.rewriteKeepingMtime(f.names(plan)[0])
        let settled = try f.executor.settle(lock: lock)
        #expect(settled.notDone == 1)
        let detail = try f.text("SELECT detail FROM journal")
        #expect(detail?.contains("ctime") == true, "\(detail ?? "")")
    }

    // MARK: 9. A future-dated name is not the newest file of its stream

    @Test(arguments: TestStore.allCases)
    func aFutureDatedNameDoesNotMakeTheCurrentFileDeletable(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        f.tree.write("merge/isfs_20990101_000000.dat", size: 300)
        try f.scan()
        let current = "merge/isfs_20170502_200000.dat", future = "merge/isfs_20990101_000000.dat"
        for rules in [ageOffAll, "[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\ntime = \"20000101,\"",
                      "[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\ntime = \"20000101,\"\nfree = \"1T\""] {
            let plan = try f.plan(rules)
            #expect(!f.names(plan).contains(current) && !f.names(plan).contains(future), "\(rules)")
            #expect(plan.rules[0].note.contains("future-dated") && plan.rules[0].note.contains("isfs_20990101_000000.dat"), "\(plan.rules[0].note)")
        }
        // Chosen only by a range that names its time.
        let explicit = try f.plan("[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\ntime = \"20000101,21000101\"")
        #expect(f.names(explicit).contains(future) && !f.names(explicit).contains(current))
    }

    @Test(arguments: TestStore.allCases)
    func theExecutorKeepsTheNewestRealFileBesideAFutureDatedOne(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        f.tree.write("merge/isfs_20990101_000000.dat", size: 300)
        try f.scan()
        var plan = try f.plan(ageOffAll)
        var forged = try #require(plan.actions.last { $0.category == "merge" })
        let current = "merge/isfs_20170502_200000.dat"
        forged.fileId = Int64(try f.scalar("SELECT id FROM files WHERE name = CAST('isfs_20170502_200000.dat' AS BLOB) AND dir_id = (SELECT id FROM dirs WHERE path = CAST('merge' AS BLOB))"))
        forged.expected = try FileStat.of(path: f.tree.path(current).pathBytes)
        forged.path = f.tree.path(current).pathBytes
        plan.actions.append(forged)
        let r = try f.execute(plan)
        #expect(r.results.last?.result == .skipped && r.results.last?.detail?.contains("newest") == true, "\(r.results.last?.detail ?? "")")
        #expect(f.exists(current))
    }

    @Test(arguments: TestStore.allCases)
    func theFutureToleranceIsThePolicys(_ store: TestStore) throws {
        guard let f = try Self.fixture(store) else { return }
        // A file starting twelve hours after now is within the default day: it is the
        // newest of its stream. A policy may narrow the tolerance, and then it is not.
        f.tree.write("merge/isfs_20170601_120000.dat", size: 300)
        try f.scan()
        let rules = "[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\ntime = \"20000101,\""
        let lenient = f.names(try f.plan(rules))
        #expect(lenient.contains("merge/isfs_20170502_200000.dat") && !lenient.contains("merge/isfs_20170601_120000.dat"))
        let strict = try PolicyPlanner(catalog: f.store).plan(
            try Policy(file: "p.toml", text: "context = \"test/isfs\"\nfuture_tolerance = \"1h\"\n" + rules, defaultName: "p", now: f.now), now: f.now)
        #expect(!f.names(strict).contains("merge/isfs_20170502_200000.dat") && !f.names(strict).contains("merge/isfs_20170601_120000.dat"))
        #expect(strict.rules[0].note.contains("future-dated"))
    }
}
