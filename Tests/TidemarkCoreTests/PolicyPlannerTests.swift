import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// What the rules choose: oldest first, targets, watermarks, cleanup cover.
@Suite struct PolicyPlannerTests {
    let f: PolicyFixture

    init() throws {
        f = try PolicyFixture()
        f.makeTree()
        try f.scan()
    }

    @Test func ageOffTakesTheOldestFirstUntilTheSizeIsChosen() throws {
        // iss_catalog.py delete --time 20000101, --size …: 700 B = 200 + 300 + 200 (crossing it).
        let plan = try f.plan("""
            [[rule]]
            kind = "age-off"
            categories = ["raw/nidas", "merge"]
            time = "20000101,"
            free = 700
            """)
        #expect(Set(f.names(plan).prefix(2)) == ["raw_data/isfs_20170501_000000.dat", "merge/isfs_20170501_000000.dat"])
        #expect(plan.actions.count == 3)
        #expect(plan.bytes >= 700 && plan.bytes - (plan.actions.last?.bytes ?? 0) < 700)
        let starts = plan.actions.map { $0.coverage!.start }
        #expect(starts == starts.sorted())
        #expect(plan.actions.allSatisfy { $0.reason.contains("oldest") && $0.rule == "rule 1 (age-off)" })
    }

    @Test func aTimeRangeSelectsOnlyFilesWhollyInside() throws {
        let plan = try f.plan("""
            [[rule]]
            kind = "age-off"
            categories = ["raw/dsm"]
            time = "2017-05-01T04:00:00Z,2017-05-01T12:00:00Z"
            """)
        #expect(f.names(plan) == ["raw_data/tse01_20170501_040000.dat", "raw_data/tse01_20170501_080000.dat"])
        // Coverage that ended at least 30 days before June 1: May 1's files.
        let old = try f.plan("[[rule]]\nkind = \"age-off\"\ncategories = [\"raw/dsm\"]\nolder_than = \"30d\"")
        #expect(old.actions.count == 6 && f.names(old).allSatisfy { $0.contains("_20170501_") })
        // 29 days: both days, but never the newest.
        let all = try f.plan("[[rule]]\nkind = \"age-off\"\ncategories = [\"raw/dsm\"]\nolder_than = \"29d\"")
        #expect(all.actions.count == 11)
    }

    @Test func watermarksDeleteOnlyAboveTheHighMarkAndDownToTheLowOne() throws {
        let dev = try FileStat.of(path: f.tree.rootBytes).device
        let rules = """
            [[rule]]
            kind = "age-off"
            categories = ["merge"]
            when_above = "90%"
            until_below = "80%"
            """
        // 85 % used: below the high mark, nothing to do.
        let calm = try f.plan(rules, usage: FileSystemUsage(device: dev, usedBytes: 8_500, availableBytes: 1_500))
        #expect(calm.isEmpty && calm.rules[0].note.contains("not above 90%"))
        // 91 % of 10,000 B: at least 1,101 B to free → four 300 B merge files, oldest first.
        let full = try f.plan(rules, usage: FileSystemUsage(device: dev, usedBytes: 9_100, availableBytes: 900))
        #expect(full.actions.count == 4 && full.bytes == 1_200)
        #expect(f.names(full).first == "merge/isfs_20170501_000000.dat")
        #expect(full.actions[0].reason.contains("above 90%"))
        // Files on another device are not counted toward this file system.
        let elsewhere = try f.plan(rules, usage: FileSystemUsage(device: dev &+ 1, usedBytes: 9_100, availableBytes: 900))
        #expect(elsewhere.isEmpty)
    }

    @Test func rulesRunInOrderAndNeverChooseAFileTwice() throws {
        let plan = try f.plan("""
            [[rule]]
            kind = "age-off"
            name = "first"
            categories = ["merge"]
            before = "2017-05-01T08:00:00Z"
            [[rule]]
            kind = "age-off"
            name = "second"
            categories = ["merge", "raw/nidas"]
            before = "2017-05-01T08:00:00Z"
            """)
        #expect(plan.actions.count == 4 && Set(plan.actions.map(\.fileId)).count == 4)
        #expect(plan.rules.map(\.files) == [2, 2])
    }

    /// Files outside any dataset have no copy: require_copy_on keeps every one, and says why.
    @Test func requireCopyOnKeepsFilesWithoutAVerifiedCopy() throws {
        let plan = try f.plan(ageOffAll + "\nrequire_copy_on = [\"backup1\"]")
        #expect(plan.isEmpty)
        #expect(plan.rules[0].note.contains("only datasets with a full, verified copy on backup1"), "\(plan.rules[0].note)")
        #expect(!plan.keptDatasets.isEmpty && plan.keptDatasets.allSatisfy { $0.reason == "it is not part of a dataset, and only datasets are copied" })
    }

    @Test func cleanupPurgesOnlyWhatLiveProductsWhollyCover() throws {
        // The merge file of 2017-05-01 16:00 is gone: raw/nidas of that period is not covered.
        f.tree.remove("merge/isfs_20170501_160000.dat")
        try f.scan()
        let plan = try f.plan("""
            [[rule]]
            kind = "cleanup"
            categories = ["raw/nidas"]
            covered_by = ["merge"]
            older_than = "1d"
            """)
        let names = f.names(plan)
        #expect(!names.contains("raw_data/isfs_20170501_160000.dat"))
        #expect(!names.contains("raw_data/isfs_20170502_200000.dat"))  // the newest of its stream
        #expect(names.count == 10)
        #expect(plan.actions.allSatisfy { $0.kind == .purge && $0.coveredBy.count == 1 && $0.reason.contains("covered by 1 live merge file") })
        // Other streams' products do not count unless same_stream = false.
        let dsm = try f.plan("[[rule]]\nkind = \"cleanup\"\ncategories = [\"raw/dsm\"]\ncovered_by = [\"merge\"]\nolder_than = \"1d\"")
        #expect(dsm.isEmpty)
        let any = try f.plan("[[rule]]\nkind = \"cleanup\"\ncategories = [\"raw/dsm\"]\ncovered_by = [\"merge\"]\nsame_stream = false\nolder_than = \"1d\"")
        #expect(any.actions.count == 10)
        // The age guard: nothing that ended within the last 40 days.
        let young = try f.plan("[[rule]]\nkind = \"cleanup\"\ncategories = [\"raw/nidas\"]\ncovered_by = [\"merge\"]\nolder_than = \"40d\"")
        #expect(young.isEmpty)
    }

    @Test func aProductChosenByAnEarlierRuleIsNoCover() throws {
        let plan = try f.plan("""
            [[rule]]
            kind = "age-off"
            categories = ["merge"]
            before = "2017-05-01T08:00:00Z"
            [[rule]]
            kind = "cleanup"
            categories = ["raw/nidas"]
            covered_by = ["merge"]
            older_than = "1d"
            """)
        let purged = plan.actions.filter { $0.kind == .purge }.map { $0.coverage!.start }
        #expect(!purged.contains(Instant(year: 2017, month: 5, day: 1)!) && !purged.contains(Instant(year: 2017, month: 5, day: 1, hour: 4)!))
        #expect(purged.count == 9)
    }

    @Test func cleanupIsSkippedWhenItsCoverVanishedFromDiskSinceTheScan() throws {
        let plan = try f.plan("[[rule]]\nkind = \"cleanup\"\ncategories = [\"raw/nidas\"]\ncovered_by = [\"merge\"]\nolder_than = \"1d\"")
        // The catalog still says the product is live; the disk says otherwise.
        f.tree.remove("merge/isfs_20170501_000000.dat")
        let r = try f.execute(plan)
        let raw = try #require(r.results.first { $0.action.path.displayPath.hasSuffix("raw_data/isfs_20170501_000000.dat") })
        #expect(raw.result == .skipped && raw.detail?.contains("cover") == true, "\(raw.detail ?? "")")
        #expect(f.exists("raw_data/isfs_20170501_000000.dat"))
        #expect(r.count(.done) == plan.actions.count - 1)
        var q = FindQuery()
        q.states = [.purged]
        #expect(try f.catalog.find(q).count == plan.actions.count - 1)
    }

    @Test func datasetsAreAgedOffWholeOrNotAtAll() throws {
        for name in ["db1/t_20170501_000000", "db1/t_20170501_010000", "db2/t_20170501_020000", "db2/t_20170503_000000", "db3/t_20170504_000000"] {
            f.tree.write("dbs/\(name).tab", size: 10)
        }
        try f.scan()
        let rule = "[[rule]]\nkind = \"age-off\"\ncategories = [\"minidvodb\"]\n"
        // db2 straddles the cutoff: none of it goes. db3 holds the stream's newest file.
        let plan = try f.plan(rule + "before = \"2017-05-02\"")
        #expect(f.names(plan) == ["dbs/db1/t_20170501_000000.tab", "dbs/db1/t_20170501_010000.tab"])
        #expect(plan.actions[0].reason.contains("dataset dbs/db1 (2 files)"))
        // A size target never stops half-way through a dataset.
        let small = try f.plan(rule + "before = \"2017-06-01\"\nfree = 1")
        #expect(small.actions.count == 2)
        let all = try f.plan(rule + "before = \"2017-06-01\"")
        #expect(f.names(all).count == 4 && !f.names(all).contains { $0.hasPrefix("dbs/db3/") })
    }

    @Test func openJournalEntriesKeepTheirFilesOutOfPlans() throws {
        let plan = try f.plan(ageOffAll)
        let fileId = plan.actions[0].fileId
        try f.catalog.pool.write { db in
            try db.execute(sql: "INSERT INTO policy_runs (id, context_id, policy, started, status) VALUES (99, 1, 'x', 0, 'running')")
            try db.execute(sql: "INSERT INTO journal (run_id, file_id, action, rule, reason, size, mtime, inode, device, intended) VALUES (99, ?, 'delete', 'r', 'r', 0, 0, 0, 0, 0)",
                           arguments: [fileId])
        }
        let again = try f.plan(ageOffAll)
        #expect(again.openJournalEntries == 1 && !again.actions.contains { $0.fileId == fileId })
    }
}
