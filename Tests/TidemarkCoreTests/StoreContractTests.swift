import Foundation
import GRDB
import Testing
@testable import TidemarkCore
import TestSupport

/// What the store protocols promise, checked through the protocols on the SQLite adapter.
@Suite struct StoreContractTests {
    /// A plan reads one state of the catalog: a write committed by another connection while
    /// the snapshot is open (a scan, another host) is not seen by it.
    @Test(arguments: TestStore.allCases)
    func aPlanningSnapshotIsOneConsistentRead(_ backend: TestStore) throws {
        guard let f = try PolicyFixture.on(backend) else { return }
        f.makeTree(days: 1)
        try f.scan()
        let store: any PlanningStore = f.store
        let context = try #require(try store.policyContext("test/isfs"))
        let (before, after) = try store.withSnapshot { snapshot in
            let streams = Array(try snapshot.streams(context: context.id, categories: ["merge"]).keys)
            func live() throws -> Int {
                var n = 0
                try snapshot.candidates(streams: streams, CandidateFilter(scope: .all)) { _ in n += 1; return true }
                return n
            }
            let before = try live()
            try f.writeElsewhere("UPDATE files SET state = \(FileState.deleted.rawValue)")
            return (before, try live())
        }
        #expect(before == 6 && after == before, "\(before) then \(after)")
        #expect(try f.scalar("SELECT count(*) FROM files") == 18)
        #expect(try f.scalar("SELECT count(*) FROM files WHERE state = 0") == 0, "outside the snapshot the write is seen")
    }

    /// The lock knows whether its holder is alive: held means alive; a record left behind a
    /// free lock is that of a holder that died holding it.
    @Test func theRunLockTellsALiveHolderFromADeadOne() throws {
        let catalog = try temporaryCatalog()
        let store: any RunLocking = catalog
        var lock: (any RunLock)? = try store.lock(.context("a"), holder: "policy run p")
        guard case .held(let h) = try store.probe(.context("a")) else { Issue.record("not held"); return }
        #expect(h?.holder == "policy run p" && h?.pid == Int64(getpid()))
        guard case .free(nil) = try store.probe(.context("b")) else { Issue.record("another region is not free"); return }
        withExtendedLifetime(lock) {}
        lock = nil
        guard case .free(nil) = try store.probe(.context("a")) else { Issue.record("released, yet not free"); return }
        // What a holder killed with the lock leaves: its record, and no lock.
        try catalog.pool.write { db in
            try db.execute(sql: "INSERT INTO lock_owners (lock, holder, pid, host, since) VALUES (?, 'scan', 999999, 'h', 0)",
                           arguments: [LockRegion.context("a").key])
        }
        guard case .free(let dead?) = try store.probe(.context("a")) else { Issue.record("a dead holder not reported"); return }
        #expect(dead.holder == "scan" && dead.pid == 999999)
    }

    /// The status a server shows: the latest scans, policy runs and journal entries.
    @Test func theStatusReadsSeeScansRunsAndTheJournal() throws {
        let f = try PolicyFixture()
        f.makeTree(days: 1)
        try f.scan()
        let report = try f.execute(try f.plan(ageOffAll))
        let store: any QueryStore = f.catalog
        let scans = try store.lastScans(context: "test/isfs", limit: 5)
        #expect(scans.count == 1 && scans[0].status == .complete && scans[0].files == 18, "\(scans)")
        let runs = try store.policyRuns(context: nil, limit: 5)
        #expect(runs.count == 1 && runs[0].id == report.runId && runs[0].done == report.count(.done) && runs[0].status == .done, "\(runs)")
        let journal = try store.journal(since: 0, limit: 1000)
        #expect(journal.count == report.results.count && journal.allSatisfy { $0.run == report.runId && $0.result == .done })
        #expect(try store.journal(since: journal.last!.id, limit: 10).isEmpty)
        #expect(try store.lastScans(context: "other", limit: 5).isEmpty)
    }
}
