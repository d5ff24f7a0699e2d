import Foundation
import Testing
import TestSupport
import TidemarkCore

/// The two stores a command runs on: a SQLite file, or the suite's PostgreSQL server (a
/// catalog scanned into SQLite and copied there).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// `root` scanned as `context` into a new catalog on this store: its `--db` (nil: no
    /// PostgreSQL server here, the test is skipped). On PostgreSQL the SQLite catalog is copied there.
    func scanned(_ context: String, _ root: String, catalogs: String) throws -> String? {
        let file = temporaryDirectory("scanned-db") + "/c.db"
        let scan = try tidemark(["scan", context, "--scan", root, "--db", file, "--catalogs", catalogs, "--quiet"])
        #expect(scan.status == 0, "\(scan.stderr)")
        guard self == .postgres else { return file }
        guard let url = try freshPostgresDatabase() else { return nil }
        let copy = try tidemark(["catalog", "copy", "--from", file, "--to", url])
        #expect(copy.status == 0, "\(copy.stderr)")
        return url
    }
}

/// Two minidvodbs (category with states new → merged → copied) and a chip exposure
/// (category without states) of `ipp/ps1`, scanned; `db` is the catalog on the store asked
/// for (nil: no PostgreSQL server here, the test is skipped).
struct ScannedDatasets {
    let tree = TempTree("datasets")
    let db: String
    let catalogs = packageRoot + "/catalogs"

    init?(_ store: StoreKind) throws {
        for (name, day) in [("db1", 1), ("db2", 2)] {
            for h in 0..<3 { tree.write("minidvodbs/g/\(name)/t\(h).fits", contents: TempTree.fitsHeader(dateObs: "2017-05-0\(day)T0\(h):00:00")) }
        }
        tree.write("chip/n1/e1/e1.01.ch.fits", contents: TempTree.fitsHeader(dateObs: "2017-05-01T00:00:00"))
        guard let db = try store.scanned("ipp/ps1", tree.root, catalogs: catalogs) else { return nil }
        self.db = db
    }

    func run(_ args: [String]) throws -> Run { try tidemark(args + ["--db", db, "--catalogs", catalogs]) }

    func list(_ args: [String] = []) throws -> [[String: Any]] {
        let r = try run(["dataset", "list", "--json"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try r.json() as? [[String: Any]])
    }
}

@Suite struct DatasetCommandTests {
    @Test(arguments: StoreKind.allCases)
    func aDatasetCreatedByAScanStartsInTheInitialState(_ store: StoreKind) throws {
        guard let s = try ScannedDatasets(store) else { return }
        let all = try s.list()
        #expect(all.map { $0["dataset"] as? String } == ["chip/e1", "minidvodbs/g/db1", "minidvodbs/g/db2"])
        let db1 = try #require(all.first { $0["dataset"] as? String == "minidvodbs/g/db1" })
        #expect(db1["state"] as? String == "new" && db1["next"] as? [String] == ["merged"], "\(db1)")
        #expect(db1["context"] as? String == "ipp/ps1" && db1["category"] as? String == "minidvodb" && db1["stream"] as? String == "g")
        #expect(db1["files"] as? Int == 3 && db1["bytes"] as? Int == 3 * 2880)
        #expect(db1["start"] as? String == "2017-05-01T00:00:00Z" && db1["state_since"] is String, "\(db1)")
        // A category that declares no states has none.
        #expect(all[0]["state"] is NSNull, "\(all[0])")
        #expect(try s.list(["--state", "new"]).count == 2)
        #expect(try s.list(["--category", "chip"]).count == 1)
        #expect(try s.list(["--context", "elsewhere"]).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func legalTransitionsMoveAndAreJournaledIllegalOnesAreRefusedNamingTheAllowed(_ store: StoreKind) throws {
        guard let s = try ScannedDatasets(store) else { return }
        let moved = try s.run(["dataset", "set-state", "minidvodbs/g/db1", "merged", "--json"])
        #expect(moved.status == 0, "\(moved.stderr)")
        let t = try #require(try moved.json() as? [String: Any])
        #expect(t["from"] as? String == "new" && t["to"] as? String == "merged")

        let back = try s.run(["dataset", "set-state", "minidvodbs/g/db1", "new"])
        #expect(back.status == 2 && back.stderr.contains("cannot move from merged to new") && back.stderr.contains("may move to copied"), "\(back.stderr)")
        let skip = try s.run(["dataset", "set-state", "minidvodbs/g/db2", "copied"])
        #expect(skip.status == 2 && skip.stderr.contains("new → merged, merged → copied"), "\(skip.stderr)")
        let unknown = try s.run(["dataset", "set-state", "minidvodbs/g/db2", "shipped"])
        #expect(unknown.status == 2 && unknown.stderr.contains("their states are new, merged, copied"), "\(unknown.stderr)")
        let stale = try s.run(["dataset", "set-state", "minidvodbs/g/db1", "copied", "--from", "new"])
        #expect(stale.status == 2 && stale.stderr.contains("is in state merged, not new"), "\(stale.stderr)")
        let noStates = try s.run(["dataset", "set-state", "chip/e1", "merged"])
        #expect(noStates.status == 2 && noStates.stderr.contains("[[dataset_states]]"), "\(noStates.stderr)")
        let missing = try s.run(["dataset", "set-state", "minidvodbs/g/db9", "merged"])
        #expect(missing.status == 64 && missing.stderr.contains("no dataset 'minidvodbs/g/db9'"), "\(missing.stderr)")
        let other = try s.run(["dataset", "set-state", "minidvodbs/g/db1", "copied", "--context", "elsewhere"])
        #expect(other.status == 64, "\(other.stderr)")

        #expect(try s.run(["dataset", "set-state", "minidvodbs/g/db1", "copied", "--from", "merged"]).status == 0)
        let history = try s.run(["dataset", "history", "minidvodbs/g/db1", "--json"])
        #expect(history.status == 0, "\(history.stderr)")
        let moves = try #require(try history.json() as? [[String: Any]])
        #expect(moves.map { "\($0["from"]!)>\($0["to"]!)" } == ["new>merged", "merged>copied"])
        #expect(moves.allSatisfy { ($0["by"] as? String)?.hasPrefix("dataset set-state by ") == true && $0["at"] is String }, "\(moves)")
        let table = try s.run(["dataset", "history", "minidvodbs/g/db1"])
        #expect(table.status == 0 && table.stdout.contains("copied since") && table.stdout.contains("merged  copied"), "\(table.stdout)")
        #expect(try s.list(["--state", "copied"]).map { $0["dataset"] as? String } == ["minidvodbs/g/db1"])
    }

    /// Processes racing to move one dataset with --from: exactly one wins, the others are
    /// refused (exit 2), and one move is journaled.
    @Test(arguments: StoreKind.allCases)
    func concurrentCompareAndSetHasExactlyOneWinner(_ store: StoreKind) throws {
        guard let s = try ScannedDatasets(store) else { return }
        let racers = 6
        // Each racer reads the dataset (in state new), then waits at the barrier until all have.
        let barrier = temporaryDirectory("set-state-barrier")
        let processes = (0..<racers).map { _ in
            tidemarkProcess(["dataset", "set-state", "minidvodbs/g/db2", "merged", "--from", "new", "--db", s.db, "--catalogs", s.catalogs],
                            environment: ["TIDEMARK_TEST_BARRIER": barrier])
        }
        for p in processes {
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            p.standardInput = FileHandle.nullDevice
        }
        for p in processes { try p.run() }
        let deadline = Date().addingTimeInterval(60)
        while (try FileManager.default.contentsOfDirectory(atPath: barrier)).count < racers && Date() < deadline { usleep(10_000) }
        FileManager.default.createFile(atPath: barrier + "/go", contents: nil)
        for p in processes { p.waitUntilExit() }
        let statuses = processes.map(\.terminationStatus).sorted()
        #expect(statuses == [0] + Array(repeating: 2, count: racers - 1), "\(statuses)")
        let history = try s.run(["dataset", "history", "minidvodbs/g/db2", "--json"])
        #expect((try history.json() as? [[String: Any]])?.count == 1, "\(history.stdout)")
    }

    @Test func aMalformedStateMachineIsRefusedWithFileLineAndKey() throws {
        let dir = temporaryDirectory("bad-states")
        try FileManager.default.createDirectory(atPath: dir + "/ipp", withIntermediateDirectories: true)
        let text = try String(contentsOfFile: packageRoot + "/catalogs/ipp/ps1.toml", encoding: .utf8)
            .replacingOccurrences(of: "initial = \"new\"", with: "initial = \"fresh\"")
        try text.write(toFile: dir + "/ipp/ps1.toml", atomically: true, encoding: .utf8)
        guard let s = try ScannedDatasets(.sqlite) else { return }
        let r = try tidemark(["dataset", "list", "--db", s.db, "--catalogs", dir])
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("initial =") }! + 1
        #expect(r.status == 2 && r.stderr.contains("ps1.toml:\(line): dataset_states[1].initial: 'fresh' is not one of the declared states"),
                "\(r.stderr)")
    }
}
