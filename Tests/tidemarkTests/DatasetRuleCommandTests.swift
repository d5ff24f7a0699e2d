import Foundation
import Testing
import TestSupport

/// `policy plan|run` with rules that select datasets by state and move them on: the plan
/// lists each dataset's move (human and --json), a run makes it, and a run killed at the move
/// is settled by the next.
@Suite struct DatasetRuleCommandTests {
    /// db1 and db2 merged; db2 holds the newest file of stream g, so only db1 may go.
    static func merged(_ store: StoreKind) throws -> (ScannedDatasets, String)? {
        guard let s = try ScannedDatasets(store) else { return nil }
        for db in ["db1", "db2"] {
            let r = try s.run(["dataset", "set-state", "minidvodbs/g/\(db)", "merged"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let policy = temporaryDirectory("dataset-rule") + "/merged.toml"
        try """
            context = "ipp/ps1"
            [[rule]]
            kind = "age-off"
            name = "merged dvodbs"
            categories = ["minidvodb"]
            before = "2017-06-01"
            dataset_state = "merged"
            then_state = "copied"
            """.write(toFile: policy, atomically: true, encoding: .utf8)
        return (s, policy)
    }

    static func state(_ s: ScannedDatasets, _ name: String) throws -> String? {
        try s.list().first { $0["dataset"] as? String == name }?["state"] as? String
    }

    @Test(arguments: StoreKind.allCases)
    func thePlanListsEachDatasetsMoveAndTheRunMakesIt(_ store: StoreKind) throws {
        guard let (s, policy) = try Self.merged(store) else { return }
        let human = try s.run(["policy", "plan", policy])
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.contains("Dataset actions (after the removals they wait for):"), "\(human.stdout)")
        #expect(human.stdout.contains("dataset minidvodbs/g/db1: state merged → copied once its 3 files are removed (rule \"merged dvodbs\")"),
                "\(human.stdout)")
        #expect(!human.stdout.contains("minidvodbs/g/db2:"))
        #expect(human.stdout.contains("only datasets in state merged; each of the 1 dataset chosen moves to copied"), "\(human.stdout)")

        let plan = try #require(try s.run(["policy", "plan", policy, "--json"]).json() as? [String: Any])
        let actions = try #require(plan["dataset_actions"] as? [[String: Any]])
        #expect(actions.count == 1)
        #expect(actions.first?["action"] as? String == "state" && actions.first?["dataset"] as? String == "minidvodbs/g/db1")
        #expect(actions.first?["from"] as? String == "merged" && actions.first?["to"] as? String == "copied" && actions.first?["files"] as? Int == 3)
        #expect(actions.first?["result"] is NSNull || actions.first?["result"] == nil)
        #expect(try Self.state(s, "minidvodbs/g/db1") == "merged", "a plan changes nothing")

        let run = try s.run(["policy", "run", policy, "--yes", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let done = try #require(try run.json() as? [String: Any])
        let results = try #require(done["dataset_actions"] as? [[String: Any]])
        #expect(results.first?["result"] as? String == "done", "\(results)")
        #expect(try Self.state(s, "minidvodbs/g/db1") == "copied")
        #expect(try Self.state(s, "minidvodbs/g/db2") == "merged")
        let history = try #require(try s.run(["dataset", "history", "minidvodbs/g/db1", "--json"]).json() as? [[String: Any]])
        #expect(history.last?["to"] as? String == "copied" && (history.last?["by"] as? String)?.hasPrefix("policy run merged (run #") == true,
                "\(history)")
    }

    @Test(arguments: StoreKind.allCases)
    func aRunKilledAtTheMoveIsSettledByTheNextRun(_ store: StoreKind) throws {
        guard let (s, policy) = try Self.merged(store) else { return }
        let killed = try tidemark(["policy", "run", policy, "--yes", "--db", s.db, "--catalogs", s.catalogs],
                                  environment: ["TIDEMARK_TEST_KILL_AT_DATASET_ACTION": "1"])
        #expect(killed.signaled && killed.status == SIGKILL, "\(killed)")
        #expect(try Self.state(s, "minidvodbs/g/db1") == "merged")
        let next = try s.run(["policy", "run", policy, "--yes"])
        #expect(next.status == 3, "nothing left to do: \(next.stdout) \(next.stderr)")
        #expect(next.stdout.contains("(state: dataset minidvodbs/g/db1 from merged to copied), left open by a writer that died, settled as not-done"),
                "\(next.stdout)")
        #expect(try Self.state(s, "minidvodbs/g/db1") == "merged")
    }
}
