import Foundation
import GRDB
import Testing
@testable import TidemarkCore
import TestSupport

/// The journal of every action (v12) and its one runner: intent committed before the act,
/// result after, on both stores; a killed writer's intent settled by the next policy run.
@Suite struct ActionJournalTests {
    struct Boom: Error, CustomStringConvertible { var description: String { "rsync exited with status 23" } }

    /// A fixture with two minidvodb datasets (dbs/db1, dbs/db2) beside the ISFS files.
    static func fixture(_ backend: TestStore) throws -> PolicyFixture? {
        guard let f = try PolicyFixture.on(backend) else { return nil }
        f.makeTree(days: 1)
        for db in ["db1", "db2"] {
            for h in 0..<2 { f.tree.write("dbs/\(db)/t_20170501_0\(h)0000.tab", size: 50) }
        }
        try f.scan()
        return f
    }

    static func dataset(_ f: PolicyFixture, _ name: String) throws -> DatasetRecord {
        let store = try #require(f.store as? any DatasetStore)
        return try #require(try store.datasets(DatasetFilter(name: name)).first)
    }

    /// The pid of a process that has exited: what a killed writer leaves in its intents.
    static func deadPid() throws -> Int64 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return Int64(p.processIdentifier)
    }

    @Test(arguments: TestStore.allCases)
    func theRunnerCommitsTheIntentBeforeTheActAndTheResultAfter(_ backend: TestStore) throws {
        guard let f = try Self.fixture(backend) else { return }
        // A deletion run holds the policy lock: the runner needs none.
        let lock = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "policy run")
        let runner = ActionRunner(journal: f.store, clock: f.clock)
        let intent = ActionIntent(kind: .copy, subject: .copy(7, dataset: 3), detail: "to backup1:/data", by: "copy run by test")
        let outcome = try runner.run(intent) { (id: Int64) throws -> ActionOutcome in
            // Committed: another connection sees it, open.
            #expect(try f.scalar("SELECT count(*) FROM journal WHERE id = \(id) AND result IS NULL AND action = 'copy' AND copy_id = 7") == 1)
            #expect(try f.store.openActions().map(\.id) == [id])
            return .done("copied 100 bytes")
        }
        #expect(outcome == .done("copied 100 bytes"))
        let entries = try f.store.actions(subject: .copy(7))
        #expect(entries.count == 1)
        let e = try #require(entries.first)
        #expect(e.intent == intent && e.result == .done && e.resultDetail == "copied 100 bytes" && e.pid == Int64(getpid()))
        #expect(e.finished != nil)
        #expect(e.intended == f.clock())

        // An act that throws is journaled failed, and its error passed on.
        #expect(throws: Boom.self) {
            try runner.run(ActionIntent(kind: .copy, subject: .copy(8), detail: "to backup2:/data", by: "test")) { _ in throw Boom() }
        }
        let failed = try #require(try f.store.actions(subject: .copy(8)).first)
        #expect(failed.result == .failed && failed.resultDetail == "rsync exited with status 23")
        #expect(try f.store.openActions().isEmpty)
        // Removals' listings and counts do not take other actions for files.
        #expect(try f.store.openIntents().intents.isEmpty)
        #expect(try f.scalar("SELECT count(*) FROM journal WHERE file_id IS NOT NULL") == 0)
        withExtendedLifetime(lock) {}
    }

    @Test(arguments: TestStore.allCases)
    func aStateMoveIsJournaledThroughTheRunnerAndNamedInTheHistory(_ backend: TestStore) throws {
        guard let f = try Self.fixture(backend) else { return }
        let store = try #require(f.store as? any DatasetStore & ActionJournal)
        let d = try Self.dataset(f, "dbs/db1")
        let machine = DatasetStateMachine(categories: ["minidvodb"], states: ["new", "merged"], initial: "new",
                                          transitions: [.init(from: "new", to: "merged")])
        let moved = try DatasetStates.move(d, to: "merged", from: nil, machine: machine, store: store, by: "dataset set-state by test",
                                           at: f.clock())
        let entries = try store.actions(subject: .dataset(d.id))
        #expect(entries.count == 1)
        let e = try #require(entries.first)
        #expect(e.intent.kind == .state && e.intent.target == "merged" && e.intent.by == "dataset set-state by test" && e.result == .done)
        let history = try store.transitions(dataset: d.id)
        #expect(moved.journal == e.id && history.map(\.journal) == [e.id])
    }

    /// A writer killed between its intent and its result (or before its act) leaves the
    /// intent open; the next policy run settles it from what the catalog shows: the move made
    /// (its history names the entry) is done, the move never made is not done. An intent of a
    /// live writer is left to it.
    @Test(arguments: TestStore.allCases)
    func aKilledWritersStateIntentIsSettledByTheNextRun(_ backend: TestStore) throws {
        guard let f = try Self.fixture(backend) else { return }
        let store = try #require(f.store as? any DatasetStore & ActionJournal)
        let (db1, db2) = (try Self.dataset(f, "dbs/db1"), try Self.dataset(f, "dbs/db2"))
        func intent(_ d: DatasetRecord) -> ActionIntent {
            ActionIntent(kind: .state, subject: .dataset(d.id), detail: "new → merged", by: "test", target: "merged")
        }
        // db1: killed after the move, before its result.
        let movedId = try store.writeIntent(intent(db1), at: f.clock())
        _ = try #require(try store.setState(dataset: db1.id, expected: "new", initial: "new", to: "merged", by: "test", at: f.clock(),
                                            journal: movedId))
        // db2: killed before the move.
        let unmovedId = try store.writeIntent(intent(db2), at: f.clock())
        // db2 again: a live writer (this process) with its act still to come.
        let liveId = try store.writeIntent(intent(db2), at: f.clock())
        let dead = try Self.deadPid()
        try f.writeElsewhere("UPDATE journal SET pid = \(dead) WHERE id IN (\(movedId), \(unmovedId))")

        let lock = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "policy run")
        let report = try f.executor.settle(lock: lock)
        #expect(report.actions.map(\.entry.id).sorted() == [movedId, unmovedId])
        let byId = Dictionary(uniqueKeysWithValues: try store.actions(subject: ActionSubject(dataset: db1.id)).map { ($0.id, $0) }
            + (try store.actions(subject: .dataset(db2.id))).map { ($0.id, $0) })
        #expect(byId[movedId]?.result == .done)
        #expect(byId[unmovedId]?.result == .notDone)
        #expect(byId[liveId]?.result == nil, "a live writer's intent stays open")
        #expect(try Self.dataset(f, "dbs/db2").storedState == nil, "settling changes no state")
        // Settled once: a second settle finds nothing more.
        #expect(try f.executor.settle(lock: lock).actions.isEmpty)
    }

    /// v12 rebuilds the SQLite journal: every entry written before keeps its id and values,
    /// and open intents stay open.
    @Test func theJournalKeepsItsEntriesThroughV12() throws {
        let path = temporaryDirectory("v11-catalog") + "/c.db"
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v11b: dataset states and hosts")
        let rows = """
            1|1|7|delete|r|old|10|11|12|13|100|done|removed|200|14
            2|1|8|purge|c|covered|20|21|22|23|101|||0|24
            """
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO contexts (id, name) VALUES (1, 'c');
                INSERT INTO roots (id, context_id, path) VALUES (1, 1, X'2F72');
                INSERT INTO dirs (id, root_id, path) VALUES (1, 1, X'');
                INSERT INTO streams (id, context_id, category, name) VALUES (1, 1, 'c', 's');
                INSERT INTO files (id, dir_id, name, size, mtime, inode, device, stream_id, source)
                VALUES (7, 1, X'61', 1, 1, 1, 1, 1, 1), (8, 1, X'62', 1, 1, 1, 1, 1, 1);
                INSERT INTO policy_runs (id, context_id, policy, started, status) VALUES (1, 1, 'p', 1, 'running');
                INSERT INTO journal (id, run_id, file_id, action, rule, reason, size, mtime, inode, device, intended, result, detail, finished, ctime)
                VALUES (1, 1, 7, 'delete', 'r', 'old', 10, 11, 12, 13, 100, 'done', 'removed', 200, 14),
                       (2, 1, 8, 'purge', 'c', 'covered', 20, 21, 22, 23, 101, NULL, NULL, NULL, 24);
                """)
        }
        try queue.close()
        let columns = "id, run_id, file_id, action, rule, reason, size, mtime, inode, device, intended, result, detail, coalesce(finished, 0), ctime"
        _ = try SQLiteCatalog(path: path, create: false)
        #expect(try sqlite3(path, "SELECT \(columns) FROM journal ORDER BY id") == rows)
        #expect(try sqlite3(path, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal' ORDER BY name")
                == "journal_by_copy\njournal_by_dataset\njournal_by_file\njournal_by_request\njournal_open")
    }
}
