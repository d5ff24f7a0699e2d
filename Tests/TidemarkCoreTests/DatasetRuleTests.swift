import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// Policy rules that select datasets by state (`dataset_state`) and move them on after
/// their removals (`then_state`), on both stores.
@Suite struct DatasetRuleTests {
    /// dbs/db1 and dbs/db2 (two files each, 1 May) and dbs/db3 (2 May, the newest of stream g,
    /// so never removed); `merged` are moved to merged.
    static func fixture(_ backend: TestStore, merged: [String]) throws -> PolicyFixture? {
        guard let f = try PolicyFixture.on(backend) else { return nil }
        f.makeTree(days: 1)
        for (db, hours) in [("db1", ["00", "01"]), ("db2", ["02", "03"])] {
            for h in hours { f.tree.write("dbs/\(db)/t_20170501_\(h)0000.tab", size: 50) }
        }
        f.tree.write("dbs/db3/t_20170502_000000.tab", size: 50)
        try f.scan()
        let store = try #require(f.store as? any DatasetStore)
        for name in merged {
            let d = try #require(try store.datasets(DatasetFilter(name: "dbs/\(name)")).first)
            _ = try #require(try store.setState(dataset: d.id, expected: "new", initial: "new", to: "merged", by: "test", at: f.now))
        }
        return f
    }

    static var machines: [DatasetStateMachine] {
        get throws { try ContextDefinition(file: "test.toml", text: PolicyFixture.definition, defaultName: "test/isfs").stateMachines }
    }

    static func plan(_ f: PolicyFixture, _ rules: String) throws -> Plan {
        try PolicyPlanner(catalog: f.store, stateMachines: try machines).plan(try f.policy(rules), now: f.now)
    }

    static func state(_ f: PolicyFixture, _ name: String) throws -> String? {
        let store = try #require(f.store as? any DatasetStore)
        return try #require(try store.datasets(DatasetFilter(name: name)).first).storedState
    }

    static let mergedToCleaned = """
        [[rule]]
        kind = "age-off"
        name = "old merged"
        categories = ["minidvodb"]
        before = "2017-05-03"
        dataset_state = "merged"
        then_state = "cleaned"
        """

    @Test(arguments: TestStore.allCases)
    func onlyDatasetsInTheRulesStateAreChosen(_ backend: TestStore) throws {
        guard let f = try Self.fixture(backend, merged: ["db1"]) else { return }
        let plan = try Self.plan(f, Self.mergedToCleaned)
        #expect(f.names(plan) == ["dbs/db1/t_20170501_000000.tab", "dbs/db1/t_20170501_010000.tab"])
        #expect(plan.rules[0].note.contains("only datasets in state merged"), "\(plan.rules[0].note)")
        guard case .state(let c)? = plan.datasetActions.first, plan.datasetActions.count == 1 else {
            Issue.record("one state change expected: \(plan.datasetActions)"); return
        }
        #expect(c.dataset == "dbs/db1" && c.from == "merged" && c.to == "cleaned" && c.after.count == 2)
        // A file with no dataset never matches a rule that selects by state.
        let raw = try Self.plan(f, """
            [[rule]]
            kind = "age-off"
            categories = ["raw/nidas"]
            before = "2017-05-03"
            dataset_state = "new"
            """)
        #expect(raw.actions.isEmpty && raw.datasetActions.isEmpty)
        #expect(try !Self.plan(f, "[[rule]]\nkind = \"age-off\"\ncategories = [\"raw/nidas\"]\nbefore = \"2017-05-03\"").actions.isEmpty)
    }

    /// A dataset one of whose files changed after the plan is kept whole, and stays in its
    /// state; the other moves on, journaled as a state action of the same run.
    @Test(arguments: TestStore.allCases)
    func thenStateMovesOnlyDatasetsWhoseRemovalsAllSucceeded(_ backend: TestStore) throws {
        guard let f = try Self.fixture(backend, merged: ["db1", "db2"]) else { return }
        let plan = try Self.plan(f, Self.mergedToCleaned)
        #expect(f.names(plan).count == 4 && plan.datasetActions.count == 2)
        f.tree.write("dbs/db2/t_20170501_020000.tab", size: 51)  // rewritten after the plan
        let report = try f.execute(plan)
        #expect(f.exists("dbs/db2/t_20170501_020000.tab") && f.exists("dbs/db2/t_20170501_030000.tab"))
        #expect(!f.exists("dbs/db1/t_20170501_000000.tab"))
        #expect(try Self.state(f, "dbs/db1") == "cleaned")
        #expect(try Self.state(f, "dbs/db2") == "merged")
        #expect(report.datasetResults.map(\.outcome.result) == [.done, .skipped], "\(report.datasetResults.map(\.outcome))")
        #expect(report.datasetResults[1].outcome.detail?.contains("2 of its 2 files were not removed") == true)
        #expect(report.hasFaults)
        let store = try #require(f.store as? any DatasetStore & ActionJournal)
        let db1 = try #require(try store.datasets(DatasetFilter(name: "dbs/db1")).first)
        let entries = try store.actions(subject: .dataset(db1.id))
        #expect(entries.count == 1 && entries[0].intent.run == report.runId && entries[0].intent.rule == "old merged")
        #expect(entries[0].intent.by.hasPrefix("policy run p (run #") && entries[0].result == .done)
        #expect(try store.transitions(dataset: db1.id).last?.journal == entries[0].id)
        // The run's counts are its removals.
        #expect(try f.scalar("SELECT done FROM policy_runs WHERE id = \(report.runId)") == 2)
    }

    /// A run killed between a state action's intent and its act leaves the intent open; the
    /// next run's settle finds the move not made and says so.
    @Test(arguments: TestStore.allCases)
    func aRunKilledAtAStateChangeIsSettledByTheNextRun(_ backend: TestStore) throws {
        guard let f = try Self.fixture(backend, merged: ["db1"]) else { return }
        let plan = try Self.plan(f, Self.mergedToCleaned)
        // What a run killed there leaves: its run marked running, the intent committed, no act, no result.
        let run: Int64 = try {
            let lock = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "policy run")
            return try f.store.beginRun(policy: "p", contextId: plan.contextId, planned: 0, now: f.now, lock)
        }()
        let store = try #require(f.store as? any DatasetStore & ActionJournal)
        guard case .state(let c)? = plan.datasetActions.first else { Issue.record("no state change"); return }
        let id = try store.writeIntent(ActionIntent(kind: .state, subject: .dataset(c.datasetId), detail: "dbs/db1 merged → cleaned",
                                                    by: "policy run p", target: "cleaned", rule: c.rule, run: run), at: f.now)
        let lock = try PolicyLock(catalog: f.store, context: "test/isfs", holder: "policy run")
        let settled = try f.executor.settle(lock: lock)
        #expect(settled.runs == [run])
        #expect(settled.actions.map(\.entry.id) == [id] && settled.actions.first?.outcome.result == .notDone)
        #expect(try Self.state(f, "dbs/db1") == "merged")
        #expect(try f.text("SELECT status FROM policy_runs WHERE id = \(run)") == "interrupted")
    }

    @Test(arguments: TestStore.allCases)
    func aMoveTheDefinitionDoesNotAllowIsRefusedWhenPlanned(_ backend: TestStore) throws {
        guard let f = try Self.fixture(backend, merged: ["db1"]) else { return }
        func refusal(_ rules: String) -> String {
            do { _ = try Self.plan(f, rules) } catch { return "\(error)" }
            return "planned"
        }
        let illegal = refusal(Self.mergedToCleaned.replacingOccurrences(of: "then_state = \"cleaned\"", with: "then_state = \"new\""))
        #expect(illegal.hasPrefix("p.toml:8: rule[1].then_state: minidvodb datasets"), "\(illegal)")
        #expect(illegal.contains("cannot move from merged to new; from merged they may move to cleaned"), "\(illegal)")
        #expect(illegal.contains("allowed transitions: new → merged, merged → cleaned"), "\(illegal)")
        let unknown = refusal(Self.mergedToCleaned.replacingOccurrences(of: "dataset_state = \"merged\"", with: "dataset_state = \"done\""))
        #expect(unknown.hasPrefix("p.toml:7: rule[1].dataset_state: ") && unknown.contains("'done' is not a state of minidvodb datasets; their states are new, merged, cleaned"),
                "\(unknown)")
        let noMachine = refusal(Self.mergedToCleaned.replacingOccurrences(of: "[\"minidvodb\"]", with: "[\"minidvodb\", \"merge\"]"))
        #expect(noMachine.contains("category 'merge' declares no dataset states"), "\(noMachine)")
    }
}
