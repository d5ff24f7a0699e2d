import Foundation
import Testing
import TestSupport

/// `request run` killed mid-update, two runs at once, and request files read from FITS
/// tables written with cfitsio; on both stores.
@Suite struct RequestRunTests {
    /// SIGKILL while an update runs: the dependent stays claimed (`run`) until its lease runs
    /// out; the next run then claims it again and starts the command again. Nothing is full
    /// without its file: a restart whose file does not come back faults.
    @Test(arguments: TestStore.allCases) func aKilledRunsUpdateIsStartedAgainAndNothingIsFullWithoutTheFile(_ store: TestStore) throws {
        guard let w = try RequestWorld(store: store, timeout: "2s") else { return }
        try w.purgeChips()
        _ = try w.json(["request", "add", "--context", "tm/ipp", "--category", "chip", "--covers", "2026-11-01T00,2026-11-01T00:30"])
        w.setMode("slow")
        let p = tidemarkProcess(["request", "run", "--db", w.db, "--catalogs", w.catalogs])
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let claimed = Date()
        let deadline = Date().addingTimeInterval(20)
        while w.updates.isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(w.updates.count == 1)
        // Claimed by the dead run: not started again while its lease runs, and not full.
        _ = try w.json(["request", "run", "--once"])
        #expect(w.updates.count == 1)
        #expect((try w.json(["dependent", "list"]) as? [[String: Any]])?.first?["state"] as? String == "run")
        // The orphaned command's file is taken away, and the restart writes elsewhere: a fault, not full.
        Thread.sleep(forTimeInterval: max(0, 8.5 - Date().timeIntervalSince(claimed)))
        try? FileManager.default.removeItem(atPath: w.chip(0))
        w.setMode("elsewhere")
        let restarted = try w.json(["request", "run"], status: 4)
        #expect(w.updates.count == 2)
        let update = (field(restarted, "updates") as? [[String: Any]])?.first
        #expect(update?["fault"] as? Int == 5, "\(String(describing: update))")
        #expect(try w.sql("SELECT count(*) FROM request_events WHERE detail LIKE 'claimed again (attempt 2)%'") == "1")
        // The killed run's journal entry was settled: not done.
        let journal = try w.sql("SELECT * FROM journal")
        #expect(try w.sql("SELECT count(*) FROM journal WHERE action = 'update' AND result = 'not-done'") == "1", "\(journal)")
        w.setMode("")
        _ = try w.json(["revert", "dependents"])
        _ = try w.json(["request", "run"])
        #expect((try w.json(["request", "list"]) as? [[String: Any]])?.first?["state"] as? String == "full")
        #expect(FileManager.default.fileExists(atPath: w.chip(0)))
    }

    /// Two runs at once never start one update: each dependent's command runs exactly once.
    @Test(arguments: TestStore.allCases) func twoRunsAtOnceNeverStartOneUpdateTwice(_ store: TestStore) throws {
        guard let w = try RequestWorld(store: store, timeout: "10s", jobs: 4) else { return }
        try w.purgeChips()
        _ = try w.json(["request", "add", "--context", "tm/ipp", "--category", "chip", "--covers", "2026-11-01T00,2026-11-01T04"])
        w.setMode("slow")
        let runs = (0..<2).map { _ in tidemarkProcess(["request", "run", "--jobs", "4", "--db", w.db, "--catalogs", w.catalogs]) }
        for p in runs {
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
        }
        for p in runs { p.waitUntilExit() }
        #expect(runs.map(\.terminationStatus) == [0, 0])
        let paths = w.updates.map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(paths.count == 4 && Set(paths).count == 4, "\(w.updates)")
        #expect((try w.json(["request", "list"]) as? [[String: Any]])?.first?["state"] as? String == "full")
    }

    /// A PS1_PSTAMP_REQUEST table written with cfitsio: one request per row, IMG_TYPE the
    /// category, MJD_MIN/MJD_MAX the window (0: open), COMPONENT the stream (null: any), the
    /// rest kept; bad rows fault their own request; a file that is no such table is refused.
    @Test(arguments: TestStore.allCases) func aRequestFileGivesOneRequestPerRow(_ store: TestStore) throws {
        guard let w = try RequestWorld(store: store) else { return }
        try w.purgeChips()
        let day = 61345.0  // 2026-11-01
        let file = w.home + "/request.fits"
        #expect(RequestTableWriter.write(file, reqName: "m31.20261201", rows: [
            .init(imgType: "chip", component: "gpc1", mjdMin: day, mjdMax: day + 0.0625),  // 00:00–01:30: e0, e1 (purged)
            .init(imgType: "warp", component: "null", mjdMin: day + 5.0 / 24, mjdMax: 0),  // from 05:00, open: e5 (live)
            .init(imgType: "warp", component: "null", mjdMin: day + 0.5, mjdMax: day + 0.25),  // ends before it begins
            .init(imgType: "null", component: "null", mjdMin: nil, mjdMax: nil),  // no category
        ]))
        let added = try w.json(["request", "add", "--context", "tm/ipp", "--from-fits", file], status: 4) as? [[String: Any]] ?? []
        #expect(added.map { $0["state"] as? String } == ["run", "run", "fault", "fault"])
        #expect(added.map { $0["label"] as? String } == ["m31.20261201#1", "m31.20261201#2", "m31.20261201#3", "m31.20261201#4"])
        #expect(added.first?["dependents"] as? Int == 2)
        #expect(added.first?["start"] as? String == "2026-11-01T00:00:00Z" && added.first?["end"] as? String == "2026-11-01T01:30:00Z")
        #expect(added[1]["stream"] is NSNull && added[1]["end"] is NSNull && added[1]["files"] as? Int == 1)
        #expect(added.map { $0["fault"] as? Int } == [nil, nil, 12, 12])
        #expect((added[2]["message"] as? String)?.contains("MJD_MAX") == true)
        let source = (added.first?["source"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
        #expect(source?["req_name"] as? String == "m31.20261201")
        #expect((source?["columns"] as? [String: Any])?["REQ_TYPE"] as? String == "bycoord")
        _ = try w.json(["request", "run"])
        #expect((try w.json(["request", "list", "--state", "full"]) as? [Any])?.count == 2)
        // A FITS file without the table, and a file that is not FITS at all.
        for bad in [w.stash + "/e0.ch.fits", w.log] {
            let r = try w.run(["request", "add", "--context", "tm/ipp", "--from-fits", bad])
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains(bad), "\(r.stderr)")
        }
        #expect(try w.run(["request", "add", "--context", "tm/ipp", "--from-fits", w.stash + "/e0.ch.fits"]).stderr.contains("PS1_PSTAMP_REQUEST"))
    }

    /// Rows of one request file are resolved together, in one transaction: two that need the
    /// same purged files share their dependents, as requests added one by one do.
    @Test(arguments: TestStore.allCases) func rowsOfOneFileShareTheirDependents(_ store: TestStore) throws {
        guard let w = try RequestWorld(store: store) else { return }
        try w.purgeChips()
        let day = 61345.0  // 2026-11-01
        let file = w.home + "/shared.fits"
        #expect(RequestTableWriter.write(file, reqName: "shared", rows: [
            .init(imgType: "chip", component: "gpc1", mjdMin: day, mjdMax: day + 0.0625),  // e0, e1 (purged)
            .init(imgType: "chip", component: "null", mjdMin: day, mjdMax: day + 0.0625),
        ]))
        let added = try w.json(["request", "add", "--context", "tm/ipp", "--from-fits", file]) as? [[String: Any]] ?? []
        #expect(added.map { $0["state"] as? String } == ["run", "run"])
        #expect(added.map { $0["dependents"] as? Int } == [2, 2])
        let ids = added.compactMap { $0["id"] as? Int }
        let dependents = try w.json(["dependent", "list"]) as? [[String: Any]] ?? []
        #expect(dependents.count == 2)
        #expect(dependents.allSatisfy { ($0["requests"] as? [Int]) == ids }, "\(dependents)")
    }
}
