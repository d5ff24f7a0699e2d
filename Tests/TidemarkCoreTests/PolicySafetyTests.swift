import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// Each safety point of issue 5, attacked. Every test here fails if its guard is removed.
@Suite struct PolicySafetyTests {
    /// Two days of files, scanned, on `store`.
    static func scanned(_ store: TestStore) throws -> PolicyFixture? {
        guard let f = try PolicyFixture.on(store) else { return nil }
        f.makeTree()
        try f.scan()
        return f
    }

    // 1. Re-checked just before deletion: replaced, grown, touched → skipped and reported.

    @Test(arguments: TestStore.allCases)
    func aFileReplacedSinceTheScanIsSkipped(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let plan = try f.plan(ageOffAll)
        let victim = "raw_data/isfs_20170501_000000.dat"
        #expect(f.names(plan).contains(victim))
        // Same name, size and mtime, new inode: replaced by rename as rsync does.
        let st = try FileStat.of(path: f.tree.path(victim).pathBytes)
        f.tree.write("raw_data/new.tmp", size: 200)
        f.tree.setMtime("raw_data/new.tmp".pathBytes, Int(st.mtimeNanoseconds / 1_000_000_000))
        f.tree.setMtime(victim.pathBytes, Int(st.mtimeNanoseconds / 1_000_000_000))
        #expect(rename(f.tree.path("raw_data/new.tmp"), f.tree.path(victim)) == 0)
        let r = try f.execute(plan)
        let a = try #require(f.result(r, victim))
        #expect(a.result == .skipped && a.detail?.contains("replaced") == true, "\(a.detail ?? "")")
        #expect(f.exists(victim))
        #expect(try f.state(victim) == "live")
        #expect(r.hasFaults)
        #expect(r.count(.done) == plan.actions.count - 1)
    }

    @Test(arguments: TestStore.allCases)
    func aFileGrownSinceTheScanIsSkipped(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let plan = try f.plan(ageOffAll)
        let victim = "merge/isfs_20170501_040000.dat"
        let h = try #require(FileHandle(forWritingAtPath: f.tree.path(victim)))
        h.seekToEndOfFile(); h.write(Data([1, 2, 3])); h.closeFile()
        let r = try f.execute(plan)
        let a = try #require(f.result(r, victim))
        #expect(a.result == .skipped && a.detail?.contains("size changed") == true, "\(a.detail ?? "")")
        #expect(f.exists(victim))
    }

    @Test(arguments: TestStore.allCases)
    func aFileTouchedSinceTheScanIsSkipped(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let plan = try f.plan(ageOffAll)
        let victim = "raw_data/tse01_20170501_080000.dat"
        f.tree.setMtime(victim.pathBytes, 1_600_000_000)
        let r = try f.execute(plan)
        let a = try #require(f.result(r, victim))
        #expect(a.result == .skipped && a.detail?.contains("modified") == true, "\(a.detail ?? "")")
        #expect(f.exists(victim))
    }

    // 2. Never through a symbolic link.

    @Test(arguments: TestStore.allCases)
    func aDirectorySwappedForASymlinkBetweenPlanAndExecutionNeverLeadsOutside(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let plan = try f.plan(ageOffAll)
        #expect(plan.actions.contains { $0.path.displayPath.contains("/raw_data/") })
        // Move raw_data out of the root and leave a symlink in its place: the files behind
        // the link are the very files catalogued (same device, inode, size, mtime), so only
        // refusing to follow the link protects them.
        let outside = temporaryDirectory("outside")
        #expect(rename(f.tree.path("raw_data"), outside + "/raw_data") == 0)
        #expect(symlink(outside + "/raw_data", f.tree.path("raw_data")) == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: outside + "/raw_data").count
        let r = try f.execute(plan)
        for a in r.results where a.action.path.displayPath.contains("/raw_data/") {
            #expect(a.result == .skipped && a.detail?.contains("symbolic link") == true, "\(a.detail ?? "")")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside + "/raw_data").count == before)
        // The merge files, reached without a link, went.
        #expect(r.results.filter { $0.action.category == "merge" }.allSatisfy { $0.result == .done })
        try? FileManager.default.removeItem(atPath: outside)
    }

    @Test(arguments: TestStore.allCases)
    func aFileSwappedForASymlinkIsNotFollowed(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let plan = try f.plan(ageOffAll)
        let victim = "merge/isfs_20170501_000000.dat"
        let outside = temporaryDirectory("outside-file")
        #expect(rename(f.tree.path(victim), outside + "/kept.dat") == 0)
        #expect(symlink(outside + "/kept.dat", f.tree.path(victim)) == 0)
        let r = try f.execute(plan)
        let a = try #require(f.result(r, victim))
        #expect(a.result == .skipped && a.detail?.contains("symbolic link") == true, "\(a.detail ?? "")")
        #expect(FileManager.default.fileExists(atPath: outside + "/kept.dat"))
        try? FileManager.default.removeItem(atPath: outside)
    }

    @Test(arguments: TestStore.allCases)
    func theExecutorFindsFilesFromTheCatalogNotFromThePlansPaths(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        var plan = try f.plan(ageOffAll)
        let outside = temporaryDirectory("decoy")
        #expect(FileManager.default.createFile(atPath: outside + "/decoy.dat", contents: Data(count: 200)))
        // A plan that names a path outside the root, and a file id the catalog does not have.
        plan.actions[0].path = (outside + "/decoy.dat").pathBytes
        var bogus = plan.actions[1]
        bogus.fileId = 999_999
        plan.actions.append(bogus)
        let r = try f.execute(plan)
        #expect(FileManager.default.fileExists(atPath: outside + "/decoy.dat"))
        #expect(r.results.last?.result == .skipped && r.results.last?.detail?.contains("not a catalogued file") == true)
        try? FileManager.default.removeItem(atPath: outside)
    }

    @Test(arguments: TestStore.allCases)
    func aFileOfAnotherContextIsNeverRemovedByThisContextsPlan(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        // The same catalog holds a second context, with a root of its own.
        let other = TempTree("other-context")
        other.write("merge/isfs_20170501_000000.dat", size: 300)
        other.write("merge/isfs_20170501_040000.dat", size: 300)
        let text = PolicyFixture.definition.replacingOccurrences(of: "context = \"test/isfs\"", with: "context = \"test/other\"")
        let d = try ContextDefinition(file: "other.toml", text: text, defaultName: "test/other")
        try f.scan(d, roots: [other.rootBytes])
        var plan = try f.plan(ageOffAll)
        var forged = try #require(plan.actions.first { $0.category == "merge" })
        forged.fileId = Int64(try f.scalar("""
            SELECT f.id FROM files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            WHERE r.path = CAST('\(other.root)' AS BLOB) AND f.name = CAST('isfs_20170501_000000.dat' AS BLOB)
            """))
        forged.expected = try FileStat.of(path: other.path("merge/isfs_20170501_000000.dat").pathBytes)
        plan.actions = [forged]
        let r = try f.execute(plan)
        #expect(r.results.first?.result == .skipped && r.results.first?.detail?.contains("not a catalogued file under a root of test/isfs") == true,
                "\(r.results.first?.detail ?? "")")
        #expect(FileManager.default.fileExists(atPath: other.path("merge/isfs_20170501_000000.dat")))
    }

    // 3. The newest file of each stream is never deleted.

    @Test(arguments: TestStore.allCases)
    func theNewestFileOfEachStreamIsNeverPlanned(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let plan = try f.plan(ageOffAll)
        let newest = ["raw_data/isfs_20170502_200000.dat", "raw_data/tse01_20170502_200000.dat", "merge/isfs_20170502_200000.dat"]
        for n in newest { #expect(!f.names(plan).contains(n), "\(n) was planned") }
        #expect(plan.actions.count == 36 - 3)
        let two = try f.plan(ageOffAll + "\nkeep_newest = 2")
        #expect(two.actions.count == 36 - 6)
        #expect(!f.names(two).contains("merge/isfs_20170502_160000.dat"))
    }

    @Test(arguments: TestStore.allCases)
    func theExecutorRefusesTheNewestEvenWhenAPlanListsIt(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        var plan = try f.plan(ageOffAll)
        // Forge an action for the newest merge file out of a planned one.
        var forged = try #require(plan.actions.last { $0.category == "merge" })
        let st = try FileStat.of(path: f.tree.path("merge/isfs_20170502_200000.dat").pathBytes)
        let id = try f.scalar("SELECT id FROM files WHERE name = CAST('isfs_20170502_200000.dat' AS BLOB) AND dir_id = (SELECT id FROM dirs WHERE path = CAST('merge' AS BLOB))")
        forged.fileId = Int64(id)
        forged.expected = st
        forged.path = f.tree.path("merge/isfs_20170502_200000.dat").pathBytes
        plan.actions.append(forged)
        let r = try f.execute(plan)
        #expect(r.results.last?.result == .skipped && r.results.last?.detail?.contains("newest") == true, "\(r.results.last?.detail ?? "")")
        #expect(f.exists("merge/isfs_20170502_200000.dat"))
    }

    // 4. Journaled before and after.

    @Test(arguments: TestStore.allCases)
    func everyRemovalHasACommittedIntentBeforeAndAResultAfter(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let plan = try f.plan(ageOffAll)
        let seen = LockedBox<[Int]>([])
        var options = ExecutionOptions()
        options.batchSize = 10
        options.afterRemoval = { _ in
            // Read from another connection: only committed rows are visible.
            let open = (try? f.scalar("SELECT count(*) FROM journal WHERE result IS NULL")) ?? -1
            seen.mutate { $0.append(open) }
        }
        let r = try f.execute(plan, options: options)
        #expect(r.count(.done) == plan.actions.count)
        // Each removal happened with its intent (and its batch's) committed and still open.
        #expect(seen.value.count == plan.actions.count && seen.value.allSatisfy { $0 > 0 })
        #expect(try f.scalar("SELECT count(*) FROM journal WHERE result IS NULL") == 0)
        #expect(try f.scalar("SELECT count(*) FROM journal WHERE result = 'done'") == plan.actions.count)
        #expect(try f.scalar("SELECT count(*) FROM policy_runs WHERE status = 'done' AND done = \(plan.actions.count)") == 1)
    }

    // 5. One run at a time.

    @Test(arguments: TestStore.allCases)
    func aSecondRunIsRefusedWhileTheFirstHoldsTheLock(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let first = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "policy run first")
        #expect(throws: PolicyError.self) { _ = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "policy run second") }
        do { _ = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "policy run second") } catch {
            #expect(error.description.contains("another policy run holds") && error.description.contains("(policy run first, pid \(getpid())"), "\(error)")
        }
        // For another context: one run per catalog.
        #expect(throws: PolicyError.self) { _ = try PolicyLock(catalog: f.store, context: "other/context", holder: "policy run second") }
        if store == .sqlite {
            // Through another name of the same file.
            let dir = (f.catalog.path as NSString).deletingLastPathComponent
            #expect(symlink(f.catalog.path, dir + "/link.sqlite") == 0)
            let other = try SQLiteCatalog(path: dir + "/link.sqlite", create: false)
            #expect(throws: PolicyError.self) { _ = try PolicyLock(catalog: other, context: "other/context", holder: "policy run second") }
        }
        _ = first
    }

    @Test(arguments: TestStore.allCases)
    func theLockIsFreedWhenTheRunEnds(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        do { _ = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "policy run") }
        _ = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "policy run")
    }

    // 7. Tombstones with the run.

    @Test(arguments: TestStore.allCases)
    func removedFilesBecomeDeletedTombstonesWithTheirRun(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let plan = try f.plan(ageOffAll)
        let r = try f.execute(plan)
        #expect(try f.scalar("""
            SELECT count(*) FROM files WHERE state = 2 AND gone_run = \(r.runId) AND gone_at = \(f.clock().microseconds) AND start IS NOT NULL
            """) == plan.actions.count)
        if let queries = f.store as? any QueryStore {
            var q = FindQuery()
            q.states = [.deleted]
            let gone = try queries.find(q)
            #expect(gone.count == plan.actions.count)
            #expect(gone.allSatisfy { $0.goneBy == "policy run \(r.runId)" && $0.goneAt == f.clock() && $0.coverage != nil })
        }
        for a in plan.actions { #expect(!FileManager.default.fileExists(atPath: a.path.displayPath)) }
    }

    @Test(arguments: TestStore.allCases)
    func coverageAndGapsFollowTheTombstones(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let plan = try f.plan("[[rule]]\nkind = \"age-off\"\ncategories = [\"merge\"]\nbefore = \"2017-05-01T08:00:00Z\"")
        #expect(plan.actions.count == 2)
        _ = try f.execute(plan)
        let eight = Instant(year: 2017, month: 5, day: 1, hour: 8)!.microseconds
        // The stream's runs as the catalog keeps them: live from eight, gone until eight.
        let runs = "FROM coverage_runs r JOIN streams s ON s.id = r.stream_id WHERE s.category = 'merge'"
        #expect(try f.scalar("SELECT min(start) \(runs) AND r.live = 1") == eight)
        #expect(try f.scalar("SELECT max(\"end\") \(runs) AND r.live = 0") == eight)
        #expect(try f.scalar("SELECT sum(deleted) FROM stream_months m JOIN streams s ON s.id = m.stream_id WHERE s.category = 'merge'") == 2)
        if let queries = f.store as? any QueryStore {
            var q = CoverageQuery(from: Instant(year: 2017, month: 5, day: 1)!, to: Instant(year: 2017, month: 5, day: 2)!)
            q.categories = ["merge"]
            let row = try #require(try queries.coverage(q).first)
            #expect(row.covered.first?.start == eight)
            #expect(row.gaps.first?.end == eight && row.gone.first?.end == eight)
        }
    }

    // A dry run changes nothing.

    @Test(arguments: TestStore.allCases)
    func planningChangesNothing(_ store: TestStore) throws {
        guard let f = try Self.scanned(store) else { return }
        let before = try f.contents()
        let journal = try f.scalar("SELECT count(*) FROM journal") + f.scalar("SELECT count(*) FROM policy_runs")
        _ = try f.plan(ageOffAll)
        _ = try f.plan("[[rule]]\nkind = \"cleanup\"\ncategories = [\"raw/nidas\"]\ncovered_by = [\"merge\"]\nolder_than = \"1d\"")
        #expect(try f.contents() == before)
        #expect(try f.scalar("SELECT count(*) FROM journal") + f.scalar("SELECT count(*) FROM policy_runs") == journal)
        #expect(try f.scalar("SELECT count(*) FROM files WHERE state = 0") == 36)
    }
}

/// A value shared with a `@Sendable` closure.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: T
    init(_ v: T) { _value = v }
    var value: T { lock.withLock { _value } }
    func mutate(_ body: (inout T) -> Void) { lock.withLock { body(&_value) } }
}
