import Foundation
import Testing
import TestSupport

/// A policy's copy rule: the plan lists each copy it would queue; `policy run --yes` queues
/// them (through the copy queuer), runs them (rsync, through the copy runner) and moves each
/// fully copied dataset to `then_state`.
@Suite struct CopyRuleCommandTests {
    @Test(arguments: StoreKind.allCases)
    func aCopyRuleQueuesRunsAndMovesCopiedDatasets(_ store: StoreKind) throws {
        guard let s = try ScannedDatasets(store) else { return }
        let dest = temporaryDirectory("copy-rule-dest")
        #expect(try s.run(["host", "add", "here"]).status == 0)
        for db in ["db1", "db2"] { #expect(try s.run(["dataset", "set-state", "minidvodbs/g/\(db)", "merged"]).status == 0) }
        let policy = temporaryDirectory("copy-rule") + "/copies.toml"
        try """
            context = "ipp/ps1"
            [[rule]]
            kind = "copy"
            name = "merged dvodbs"
            categories = ["minidvodb"]
            dataset_state = "merged"
            destinations = [{host = "here", path = "\(dest)"}]
            then_state = "copied"
            """.write(toFile: policy, atomically: true, encoding: .utf8)

        let human = try s.run(["policy", "plan", policy])
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.contains("dataset minidvodbs/g/db1 (") && human.stdout.contains("queue a copy to here:\(dest) (rule \"merged dvodbs\")"),
                "\(human.stdout)")
        let plan = try #require(try s.run(["policy", "plan", policy, "--json"]).json() as? [String: Any])
        let planned = try #require(plan["dataset_actions"] as? [[String: Any]])
        #expect(planned.map { $0["dataset"] as? String } == ["minidvodbs/g/db1", "minidvodbs/g/db2"])
        #expect(planned.allSatisfy { $0["action"] as? String == "copy" && $0["host"] as? String == "here" && $0["path"] as? String == dest })
        #expect(try s.run(["copy", "list", "--json"]).json() as? [Any] == nil || (try s.run(["copy", "list", "--json"]).json() as? [Any])?.isEmpty == true,
                "a plan queues nothing")

        let run = try s.run(["policy", "run", policy, "--yes", "--json"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let done = try #require(try run.json() as? [String: Any])
        let results = try #require(done["dataset_actions"] as? [[String: Any]])
        #expect(results.filter { $0["action"] as? String == "copy" }.allSatisfy { $0["result"] as? String == "done" }, "\(results)")
        #expect(results.filter { $0["action"] as? String == "state" }.map { $0["dataset"] as? String } == ["minidvodbs/g/db1", "minidvodbs/g/db2"],
                "\(results)")
        let copies = try #require(try s.run(["copy", "list", "--json"]).json() as? [[String: Any]])
        #expect(copies.count == 2 && copies.allSatisfy { $0["state"] as? String == "full" }, "\(copies)")
        let states = try s.list().filter { ($0["dataset"] as? String)?.hasPrefix("minidvodbs/") == true }.map { $0["state"] as? String }
        #expect(states == ["copied", "copied"])
        #expect(FileManager.default.fileExists(atPath: dest + "/minidvodbs/g/db1/t0.fits") || FileManager.default.fileExists(atPath: dest + "/db1/t0.fits"),
                "\((try? FileManager.default.subpathsOfDirectory(atPath: dest)) ?? []).sorted())")

        // Nothing is left: each dataset was copied once, and moved on.
        let again = try s.run(["policy", "run", policy, "--yes"])
        #expect(again.status == 3, "\(again.stdout)")
    }

    /// The shipped ps1-nightly policy plans against the shipped ipp/ps1 definition: its copy
    /// rule lists the merged minidvodbs for the archive host.
    @Test func theShippedNightlyPolicyPlansItsCopies() throws {
        guard let s = try ScannedDatasets(.sqlite) else { return }
        // Every category the policy names, catalogued.
        s.tree.write("pstamp/work/20170501/r1/out.fits", contents: TempTree.fitsHeader(dateObs: "2017-05-01T00:00:00"))
        s.tree.write("warp/n1/e1/e1.wrp.1.fits", contents: TempTree.fitsHeader(dateObs: "2017-05-01T00:00:00"))
        #expect(try s.run(["scan", "ipp/ps1", "--scan", s.tree.root, "--quiet"]).status == 0)
        #expect(try s.run(["dataset", "set-state", "minidvodbs/g/db1", "merged"]).status == 0)
        let plan = try s.run(["policy", "plan", "ps1-nightly", "--policies", packageRoot + "/policies", "--json"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let o = try #require(try plan.json() as? [String: Any])
        let actions = try #require(o["dataset_actions"] as? [[String: Any]])
        #expect(actions.map { $0["dataset"] as? String } == ["minidvodbs/g/db1"] && actions.first?["host"] as? String == "ippb-archive", "\(actions)")
    }
}
