import Foundation
import Testing
import TestSupport
import TidemarkCore

/// The catalog survives a full disk and a SIGKILL, and the next scan finishes the job.
@Suite(.serialized) struct DurabilityTests {
    let catalogs = packageRoot + "/catalogs"

    func integrity(_ db: String) throws -> String { try sql(db, "PRAGMA integrity_check;") }

    func liveCount(_ db: String) throws -> Int {
        (try tidemark(["find", "--db", db, "--json"]).json() as? [Any])?.count ?? -1
    }

    @Test func fullDiskFailsClearlyAndLosesNothing() throws {
        let tree = TempTree("full")
        makeIsfsTree(tree, days: 1)
        // Room for the empty catalog (every migration's pages pass through the write-ahead log) and a first scan.
        guard let mount = mountTmpfs("tmpfs", size: "800k") else { return }
        defer { unmount(mount) }
        let db = mount + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"]).status == 0)
        let before = try liveCount(db)
        #expect(before == 20)
        // Thousands of long names cannot fit in what is left of 600 kB.
        for i in 0..<6000 { tree.write("raw_data/tse\(String(format: "%02d", i % 90))_201706\(String(format: "%02d", 1 + i % 28))_\(String(format: "%02d", (i / 28) % 24))0000_\(String(repeating: "x", count: 60)).dat", size: 0) }
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs])
        #expect(r.status == 1)
        #expect(r.stderr.contains("full"), "\(r.stderr)")
        #expect(try integrity(db) == "ok")
        #expect(try liveCount(db) >= before)
    }

    @Test func killedScanLeavesAConsistentCatalogThatTheNextScanCompletes() throws {
        let tree = TempTree("kill")
        for i in 0..<40_000 {
            tree.write("raw_data/tse\(String(format: "%02d", i % 50))_2017\(String(format: "%02d", 1 + (i / 50) % 12))\(String(format: "%02d", 1 + (i / 600) % 28))_\(String(format: "%02d", (i / 16800) * 4))0000.dat", size: 1)
        }
        let db = temporaryDirectory("killdb") + "/c.db"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tidemarkBinary)
        p.arguments = ["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet", "--threads", "1"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Kill it once the first batches are committed.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, p.isRunning {
            if let size = try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size] as? Int, size > 1_000_000 { break }
            Thread.sleep(forTimeInterval: 0.005)
        }
        let killedWhileRunning = p.isRunning
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(killedWhileRunning, "the scan finished before it could be killed; make the tree bigger")
        #expect(try integrity(db) == "ok")
        // Killed before it could record its end: the next scan must finish its work.
        #expect(try sql(db, "SELECT status FROM scans ORDER BY id DESC LIMIT 1") == "running")

        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try r.json() as? [String: Any])
        #expect(o["files"] as? Int == 40_000 && o["missing"] as? Int == 0)
        #expect((o["new"] as? Int ?? 0) + (o["unchanged"] as? Int ?? 0) == 40_000)
        // The finished catalog equals one made by a single uninterrupted scan.
        let fresh = temporaryDirectory("freshdb") + "/c.db"
        #expect(try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", fresh, "--catalogs", catalogs, "--quiet"]).status == 0)
        let a = try tidemark(["find", "--db", db, "--json"]).stdout
        let b = try tidemark(["find", "--db", fresh, "--json"]).stdout
        #expect(a == b)
    }
}

@discardableResult
func shell(_ tool: String, _ args: [String]) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = args
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return -1 }
    p.waitUntilExit()
    return p.terminationStatus
}
