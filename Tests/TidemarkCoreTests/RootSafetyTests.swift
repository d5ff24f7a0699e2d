import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// Invariant 2 of DESIGN.md, attacked: a physical file is catalogued once (roots told apart
/// by device and inode, nested roots refused), deletion acts only under current roots, and a
/// root that is not what was catalogued is unavailable: nothing marked missing or removed.
@Suite struct RootSafetyTests {
    let f: PolicyFixture

    init() throws {
        f = try PolicyFixture()
        f.makeTree()
    }

    func definition(roots: [String] = [], context: String = "test/isfs") throws -> ContextDefinition {
        let text = PolicyFixture.definition.replacingOccurrences(of: "context = \"test/isfs\"", with: """
            context = "\(context)"
            roots = [\(roots.map { "\"\($0)\"" }.joined(separator: ", "))]
            """)
        return try ContextDefinition(file: "\(context).toml", text: text, defaultName: context)
    }

    @discardableResult
    func scan(_ roots: [String], definition: ContextDefinition? = nil, day: Int = 31) throws -> ScanReport {
        var o = ScanOptions()
        o.walk.threads = 1
        let d = try definition ?? self.definition()
        return try Scanner(catalog: f.catalog, definition: d, roots: roots.map(\.pathBytes), options: o)
            .run(now: Instant(year: 2017, month: 5, day: day)!)
    }

    func live() throws -> Int { try f.scalar("SELECT count(*) FROM files WHERE state = 0") }

    /// Files below a directory, relative.
    func onDisk(_ root: String) -> Set<String> {
        Set(((try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? []).filter { !isDirectory(root + "/" + $0) })
    }

    func isDirectory(_ p: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &d) && d.boolValue
    }

    static let newest = ["raw_data/isfs_20170502_200000.dat", "raw_data/tse01_20170502_200000.dat", "merge/isfs_20170502_200000.dat"]

    // One tree, two roots.

    @Test func aTreeScannedThroughASymlinkAndByItsRealPathIsCataloguedOnce() throws {
        let link = temporaryDirectory("alias") + "/data"
        #expect(symlink(f.tree.root, link) == 0)
        try scan([link])
        let again = try scan([f.tree.root])
        #expect(again.unchanged == 36 && again.new == 0)
        #expect(try live() == 36 && f.scalar("SELECT count(*) FROM roots") == 1)
        let plan = try f.plan(ageOffAll)
        #expect(plan.actions.count == 33)
        _ = try f.execute(plan)
        for n in Self.newest { #expect(f.exists(n), "\(n), the newest of its stream, was removed") }
    }

    @Test func theSameDirectoryGivenTwiceIsWalkedOnce() throws {
        let link = temporaryDirectory("alias") + "/data"
        #expect(symlink(f.tree.root, link) == 0)
        let r = try scan([f.tree.root, link, f.tree.root])
        #expect(r.files == 36 && r.roots == [f.tree.root])
        #expect(try live() == 36)
    }

    @Test(arguments: ["raw_data", "."])
    func nestedRootsInOneDefinitionAreRefused(_ inner: String) throws {
        let d = try definition(roots: [f.tree.root, f.tree.path(inner)])
        #expect { try scan(d.roots, definition: d) } throws: { e in
            "\(e)".contains(inner == "." ? "is the same directory as root \(f.tree.root)" : "\(f.tree.path(inner)) is inside root \(f.tree.root)")
        }
        #expect(try f.scalar("SELECT count(*) FROM files") == 0)
    }

    @Test func aRootOverlappingARootOfAnotherContextIsRefused() throws {
        try scan([f.tree.path("merge")])
        let other = try definition(context: "test/other")
        for (root, word) in [(f.tree.root, "contains"), (f.tree.path("merge"), "same directory"), (f.tree.path("merge/x"), "inside")] {
            if word == "inside" { try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true) }
            #expect { try scan([root], definition: other) } throws: { e in
                "\(e)".contains(word) && "\(e)".contains("root \(f.tree.path("merge")) of context test/isfs")
            }
        }
        #expect(try live() == 12)
    }

    @Test func aCopyUnderASecondRootLeavesTheFirstAlone() throws {
        try scan([f.tree.root])
        let copy = TempTree("copy")
        try FileManager.default.removeItem(atPath: copy.root)
        try FileManager.default.copyItem(atPath: f.tree.root, toPath: copy.root)
        try scan([copy.root])
        let before = onDisk(f.tree.root)
        let plan = try f.plan(ageOffAll)
        #expect(plan.actions.count == 33 && plan.actions.allSatisfy { $0.path.displayPath.hasPrefix(copy.root + "/") })
        _ = try f.execute(plan)
        #expect(onDisk(f.tree.root) == before)
        for n in Self.newest { #expect(FileManager.default.fileExists(atPath: copy.path(n))) }
    }

    // Roots that stay forever.

    @Test func aRootOnlyAnOlderScanWalkedIsStaleAndNeverDeletedFrom() throws {
        let other = TempTree("nightly")
        other.write("merge/isfs_20170501_000000.dat", size: 300)
        other.write("merge/isfs_20170501_040000.dat", size: 300)
        try scan([f.tree.root])
        try scan([other.root])
        let plan = try f.plan(ageOffAll)
        #expect(plan.actions.count == 1 && plan.actions.allSatisfy { $0.path.displayPath.hasPrefix(other.root + "/") })
        let r = try f.execute(plan)
        #expect(r.count(.done) == 1)
        #expect(onDisk(f.tree.root).count == 36)
    }

    // An empty mount point, a moved root.

    @Test func anEmptyDirectoryWhereTheRootWasMarksNothingMissing() throws {
        try scan([f.tree.root])
        let aside = f.tree.root + ".unmounted"
        #expect(rename(f.tree.root, aside) == 0 && mkdir(f.tree.root, 0o755) == 0)
        defer { _ = rmdir(f.tree.root); _ = rename(aside, f.tree.root) }
        #expect { try scan([f.tree.root], day: 31) } throws: { e in
            "\(e)".contains("unavailable") && "\(e)".contains(f.tree.root)
        }
        #expect(try live() == 36)
        #expect(try f.plan(ageOffAll).actions.isEmpty)
    }

    @Test func aSettleRecordsNothingUnderARootThatIsNotTheOneCatalogued() throws {
        try scan([f.tree.root])
        let plan = try f.plan(ageOffAll)
        // What a run killed right after writing its intents leaves behind.
        let lock = try PolicyLock(catalog: f.catalog, context: "test/isfs", holder: "test")
        let run = try f.catalog.beginRun(policy: "p", contextId: plan.contextId, planned: plan.actions.count, now: f.now, lock)
        _ = try f.catalog.writeIntents(run: run, plan.actions.map { JournalEntry(action: $0) }, at: f.now)
        let aside = f.tree.root + ".unmounted"
        #expect(rename(f.tree.root, aside) == 0 && mkdir(f.tree.root, 0o755) == 0)
        let settled = try f.executor.settle(lock: lock)
        #expect(settled.removed == 0 && settled.unresolved == 33)
        #expect(try f.scalar("SELECT count(*) FROM files WHERE state <> 0") == 0)
        #expect(try f.scalar("SELECT count(*) FROM journal WHERE result IS NULL") == 33)
        #expect(rmdir(f.tree.root) == 0 && rename(aside, f.tree.root) == 0)
        let again = try f.executor.settle(lock: lock)
        #expect(again.removed == 0 && again.notDone == 33 && again.unresolved == 0)
    }

    @Test func aMovedRootIsRecognisedAtItsNewPathAndNotPlannedAtItsOld() throws {
        try scan([f.tree.root])
        let moved = f.tree.root + ".moved"
        #expect(rename(f.tree.root, moved) == 0)
        defer { _ = rename(moved, f.tree.root) }
        #expect(try f.plan(ageOffAll).actions.isEmpty)
        let r = try scan([moved])
        #expect(r.unchanged == 36 && r.new == 0 && r.missing == 0)
        #expect(try live() == 36)
        let plan = try f.plan(ageOffAll)
        #expect(plan.actions.count == 33 && plan.actions.allSatisfy { $0.path.displayPath.hasPrefix(moved + "/") })
    }
}

/// Stale roots at execution and settling, roots from before identities were kept, and
/// forgetting a root with its history kept.
@Suite struct StaleRootTests {
    let f: PolicyFixture
    let other = TempTree("other-root")

    init() throws {
        f = try PolicyFixture()
        f.makeTree()
        other.write("merge/isfs_20170501_000000.dat", size: 300)
        other.write("merge/isfs_20170501_040000.dat", size: 300)
    }

    func scan(_ root: String) throws {
        var o = ScanOptions()
        o.walk.threads = 1
        let d = try ContextDefinition(file: "test.toml", text: PolicyFixture.definition, defaultName: "test/isfs")
        try Scanner(catalog: f.catalog, definition: d, roots: [root.pathBytes], options: o).run(now: Instant(year: 2017, month: 5, day: 31)!)
    }

    @Test func aPlanMadeWhileARootWasCurrentRemovesNothingThereOnceItIsStale() throws {
        try scan(f.tree.root)
        let plan = try f.plan(ageOffAll)
        #expect(plan.actions.count == 33)
        try scan(other.root)  // the tree's root is stale from now on
        let r = try f.execute(plan)
        #expect(r.count(.done) == 0 && r.count(.skipped) == 33)
        #expect(r.results.allSatisfy { $0.detail?.contains("not a catalogued file under a root of test/isfs") == true }, "\(r.results.first?.detail ?? "")")
        #expect(try f.scalar("SELECT count(*) FROM files WHERE state <> 0") == 0)
        for a in plan.actions { #expect(FileManager.default.fileExists(atPath: a.path.displayPath)) }
    }

    @Test func aPlanMadeBeforeTheDiskWasUnmountedRemovesNothing() throws {
        try scan(f.tree.root)
        let plan = try f.plan(ageOffAll)
        // An empty directory where the root was: its files are not gone, only out of reach.
        let aside = f.tree.root + ".unmounted"
        #expect(rename(f.tree.root, aside) == 0 && mkdir(f.tree.root, 0o755) == 0)
        let r = try f.execute(plan)
        #expect(r.count(.done) == 0 && r.count(.gone) == 0 && r.count(.skipped) == 33)
        #expect(try f.scalar("SELECT count(*) FROM files WHERE state <> 0") == 0)
    }

    @Test func intentsUnderAStaleButAvailableRootAreSettled() throws {
        try scan(f.tree.root)
        let plan = try f.plan(ageOffAll)
        do {  // a run killed after its intents: its lock dies with it
            let lock = try PolicyLock(catalog: f.catalog, context: "test/isfs", holder: "test")
            let run = try f.catalog.beginRun(policy: "p", contextId: plan.contextId, planned: plan.actions.count, now: f.now, lock)
            _ = try f.catalog.writeIntents(run: run, plan.actions.map { JournalEntry(action: $0) }, at: f.now)
        }
        for a in plan.actions.prefix(2) { #expect(unlink(a.path.displayPath) == 0) }  // removed before the kill
        try scan(other.root)
        let lock = try PolicyLock(catalog: f.catalog, context: "test/isfs", holder: "test")
        let settled = try f.executor.settle(lock: lock)
        // Settling only looks: the two files the killed run removed are recorded as removed,
        // the rest as not done, though the root is stale (never deleted from) now.
        #expect(settled.removed == 2 && settled.notDone == 31 && settled.unresolved == 0 && settled.unresolvedRoots.isEmpty)
        #expect(try f.scalar("SELECT count(*) FROM journal WHERE result IS NULL") == 0)
        #expect(try f.scalar("SELECT count(*) FROM files WHERE state = 2") == 2)
    }

    @Test func aRootCataloguedBeforeIdentitiesIsLeftAloneUntilItsNextScanAdoptsIt() throws {
        try scan(f.tree.root)
        // What the v6 migration leaves of a root catalogued by an older Tidemark.
        try f.catalog.pool.write { db in try db.execute(sql: "UPDATE roots SET device = NULL, inode = NULL, last_scan = NULL") }
        let before = try f.plan(ageOffAll)
        #expect(before.actions.isEmpty && before.skippedRoots.count == 1)
        let states = try f.catalog.rootStates(definitionRoots: ["test/isfs": [f.tree.rootBytes]])
        #expect(states.first?.isCurrent == true && states.first?.unavailable?.contains("never recorded") == true)
        try scan(f.tree.root)
        #expect(try f.scalar("SELECT count(*) FROM roots WHERE device IS NOT NULL") == 1 && f.scalar("SELECT count(*) FROM files") == 36)
        #expect(try f.plan(ageOffAll).actions.count == 33)
    }

    @Test func forgettingAStaleRootDropsItsRowsAndKeepsItsHistory() throws {
        try scan(f.tree.root)
        let plan = try f.plan(ageOffAll)
        _ = try f.execute(Plan(policy: plan.policy, context: plan.context, contextId: plan.contextId, now: plan.now,
                               actions: Array(plan.actions.prefix(5)), rules: plan.rules, openJournalEntries: 0))
        try scan(other.root)
        let lock = try PolicyLock(catalog: f.catalog, context: "test/isfs", holder: "test")
        let current = try f.catalog.root(named: other.rootBytes, context: nil, definitionRoots: [:])
        #expect(throws: RootError.self) { try f.catalog.forget(current, lock: lock, now: f.now) }
        let stale = try f.catalog.root(named: f.tree.rootBytes, context: "test/isfs", definitionRoots: [:])
        #expect(!stale.isCurrent)
        let contents = try f.catalog.contents(of: stale)
        #expect(contents.files == 36 && contents.live == 31 && contents.journalEntries == 5)
        let done = try f.catalog.forget(stale, lock: lock, now: f.now)
        #expect(done.contents.files == 36)
        #expect(try f.scalar("SELECT count(*) FROM files") == 2 && f.scalar("SELECT count(*) FROM roots") == 1)
        #expect(try f.scalar("SELECT count(*) FROM journal") == 0)
        #expect(try f.scalar("SELECT count(*) FROM forgotten_journal WHERE event_id = \(done.event) AND result = 'done' AND CAST(path AS TEXT) LIKE '\(f.tree.root)/%'") == 5)
        #expect(try f.scalar("SELECT files FROM root_events WHERE id = \(done.event)") == 36)
        #expect(try f.catalog.foreignKeyViolations() == 0)
        // Coverage now comes from the remaining root alone.
        var q = CoverageQuery(from: Instant(year: 2017, month: 5, day: 1)!, to: Instant(year: 2017, month: 5, day: 3)!)
        q.categories = ["merge"]
        #expect(try f.catalog.coverage(q).first?.covered.map(\.end) == [Instant(year: 2017, month: 5, day: 1, hour: 8)!.microseconds])
    }

    @Test func anUnavailableRootCanBeForgottenThoughItIsCurrent() throws {
        try scan(f.tree.root)
        let aside = f.tree.root + ".gone"
        #expect(rename(f.tree.root, aside) == 0)
        defer { _ = rename(aside, f.tree.root) }
        let lock = try PolicyLock(catalog: f.catalog, context: "test/isfs", holder: "test")
        let root = try f.catalog.root(named: f.tree.rootBytes, context: nil, definitionRoots: [:])
        #expect(root.isCurrent && root.unavailable != nil)
        _ = try f.catalog.forget(root, lock: lock, now: f.now)
        #expect(try f.scalar("SELECT count(*) FROM files") == 0)
    }
}

extension StaleRootTests {
    @Test func twoCurrentRootsOverTheSameFilesNeverCountThemTwice() throws {
        // A rule that matches at any depth, so that files under both roots have one meaning.
        let text = """
            context = "test/isfs"
            roots = ["\(f.tree.root)"]
            [[rule]]
            match = "**/isfs_%Y%m%d_%H%M%S.dat"
            category = "merge"
            stream = "isfs"
            length = "4h"
            """
        let d = try ContextDefinition(file: "test.toml", text: text, defaultName: "test/isfs")
        // `--scan tree/merge`, then a scan of the definition's root (the tree) that did not complete.
        try Scanner(catalog: f.catalog, definition: d, roots: [f.tree.path("merge").pathBytes]).run(now: f.now)
        try Scanner(catalog: f.catalog, definition: d, roots: [f.tree.rootBytes]).run(now: f.now)
        try f.catalog.pool.write { db in try db.execute(sql: "UPDATE scans SET status = 'failed' WHERE id = 2") }
        let policy = try f.policy("[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\nbefore = \"2017-05-03\"")
        let plan = try PolicyPlanner(catalog: f.catalog, definitionRoots: [f.tree.rootBytes]).plan(policy, now: f.now)
        let paths = plan.actions.map { ProbedRoot.resolved($0.path) ?? $0.path }
        #expect(Set(paths).count == paths.count, "a file planned twice")
        #expect(plan.actions.count == 23 && plan.skippedRoots.map(\.path) == [f.tree.path("merge").pathBytes])
        _ = try f.execute(plan)
        #expect(try f.scalar("SELECT count(*) FROM files WHERE state = 1") == 0)
        #expect(f.exists("merge/isfs_20170502_200000.dat") || f.exists("raw_data/isfs_20170502_200000.dat"))
    }
}
