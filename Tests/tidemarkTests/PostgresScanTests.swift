import Foundation
import Testing
import TestSupport
import TidemarkCore

/// `tidemark scan --db postgres://…`: what only a shared catalog server has to show.
@Suite struct PostgresScanTests {
    /// The context's lock is a session advisory lock: a second scan of the context is refused
    /// (exit 5, naming the holder) while one runs, and a killed scan's lock goes with its
    /// connection, so the next scan runs and records the killed one as interrupted.
    @Test func aSecondScanIsRefusedAndAKilledScansLockIsFreed() throws {
        guard let url = try freshPostgresDatabase() else { return }
        let cam = try CameraArchive(db: url)
        let paused = try cam.pausedScan(at: "b.fits", ["--reread"])
        defer { cam.resume() }
        let second = try cam.scan()
        #expect(second.status == 5, "\(second.stderr)")
        #expect(second.stderr.contains("another scan of cam is running (pid \(paused.pid)"), "\(second.stderr)")
        kill(paused.pid, SIGKILL)
        _ = paused.finish()
        let third = try cam.scan()
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try psql(url, "SELECT string_agg(status, ',' ORDER BY id) FROM scans") == "complete,interrupted,complete")
    }

    /// The URL's password is never printed, and the catalog is named by its masked URL.
    @Test func thePasswordIsNeverPrinted() throws {
        guard let url = try freshPostgresDatabase() else { return }
        let password = try #require(url.split(separator: "@").first?.split(separator: ":").last.map(String.init))
        let tree = TempTree("pg-mask")
        makeIsfsTree(tree, days: 1)
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", url, "--catalogs", packageRoot + "/catalogs", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains(password) && !r.stderr.contains(password))
        #expect(r.stdout.contains(CatalogLocation.maskingPassword(url)), "\(r.stdout)")
    }
}
