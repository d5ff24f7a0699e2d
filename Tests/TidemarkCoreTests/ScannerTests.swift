import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

@Suite struct ScannerTests {
    static let definitionText = """
        context = "test/isfs"
        ignore = ["**/.*"]
        [[rule]]
        match = ["raw_data/isfs_%Y%m%d_%H%M%S.dat", "raw_data/isfs_%Y%m%d_%H%M%S.dat.bz2"]
        category = "raw/nidas"
        stream = "isfs"
        length = 14400
        time = ["fits", "name"]
        [[rule]]
        match = "raw_data/{dsm}_%Y%m%d_%H%M%S.dat"
        category = "raw/dsm"
        stream = "{dsm}"
        length = "4h"
        [[rule]]
        match = "minidvodbs/{group}/{db}/**"
        category = "minidvodb"
        stream = "{group}"
        dataset = "minidvodbs/{group}/{db}"
        """

    let tree = TempTree("scan")
    let catalog: SQLiteCatalog
    let reader = CountingReader()

    init() throws { catalog = try temporaryCatalog() }

    func scan(_ text: String = definitionText, threads: Int = 2, follow: Bool = false, now: Instant? = nil) throws -> ScanReport {
        let d = try ContextDefinition(file: "test.toml", text: text, defaultName: "test/isfs")
        var o = ScanOptions()
        o.walk.threads = threads
        o.walk.followSymlinks = follow
        let scanner = Scanner(catalog: catalog, definition: d, roots: [tree.rootBytes], resolver: CoverageResolver(readers: [reader]), options: o)
        return try scanner.run(now: now ?? Instant(seconds: 1_700_000_000))
    }

    func entry(_ name: String, states: [FileState] = [.live]) throws -> CatalogEntry? {
        var q = FindQuery()
        q.states = states
        return try catalog.find(q).first { $0.path.displayPath.hasSuffix("/" + name) }
    }

    func makeIsfsTree() {
        tree.write("raw_data/isfs_20170501_000000.dat.bz2", size: 100)
        tree.write("raw_data/isfs_20170501_040000.dat.bz2", size: 100)
        tree.write("raw_data/isfs_20170501_080000.dat.bz2", size: 100)
        tree.write("raw_data/tse01_20170501_000000.dat", size: 50)
        tree.write("minidvodbs/g1/db1/cpt.fits", size: 7, mtime: 1_500_000_000)
        tree.write("minidvodbs/g1/db1/sub/cps.fits", size: 8, mtime: 1_500_000_100)
        tree.write("notes/README", size: 3, mtime: 1_400_000_000)
        tree.write("raw_data/.isfs_20170501_120000.dat.swp", size: 1)
    }

    @Test func firstScanCataloguesEveryFile() throws {
        makeIsfsTree()
        let r = try scan()
        #expect(r.files == 7 && r.new == 7 && r.changed == 0 && r.unchanged == 0 && r.missing == 0 && r.errors == 0)
        #expect(r.bytes == 368)
        let raw = try #require(try entry("isfs_20170501_040000.dat.bz2"))
        #expect(raw.category == "raw/nidas" && raw.stream == "isfs" && raw.source == .name)
        #expect(raw.coverage == Coverage(start: Instant(year: 2017, month: 5, day: 1, hour: 4)!, end: Instant(year: 2017, month: 5, day: 1, hour: 8)!))
        let other = try #require(try entry("README"))
        #expect(other.category == "other" && other.source == .mtime && other.coverage?.start == Instant(seconds: 1_400_000_000))
        #expect(try entry(".isfs_20170501_120000.dat.swp") == nil)
        #expect(reader.calls == 3)  // only the rule that lists "fits" reads headers
        #expect(try catalog.foreignKeyViolations() == 0)
    }

    @Test func unchangedRescanReadsNothingAndWritesOnlyItsRecord() throws {
        makeIsfsTree()
        _ = try scan()
        let before = try catalog.dumpForComparison()
        let callsBefore = reader.calls
        let r = try scan(now: Instant(seconds: 1_800_000_000))
        #expect(r.unchanged == 7 && r.new == 0 && r.changed == 0 && r.missing == 0 && r.revived == 0)
        #expect(reader.calls == callsBefore)
        #expect(try catalog.dumpForComparison() == before)
        #expect(try catalog.count("SELECT count(*) FROM scans WHERE status = 'complete'") == 2)
    }

    @Test func changedSizeMtimeOrInodeIsReadAgain() throws {
        makeIsfsTree()
        _ = try scan()
        tree.write("raw_data/isfs_20170501_000000.dat.bz2", size: 101)                 // size
        tree.setMtime("raw_data/isfs_20170501_040000.dat.bz2".pathBytes, 1_600_000_000)  // mtime
        // Same size and mtime, new inode: replaced by rename, as rsync does.
        let st = try FileStat.of(path: tree.path("raw_data/isfs_20170501_080000.dat.bz2").pathBytes)
        tree.write("raw_data/tmp", size: 100)
        tree.setMtime("raw_data/tmp".pathBytes, Int(st.mtimeNanoseconds / 1_000_000_000))
        tree.setMtime("raw_data/isfs_20170501_080000.dat.bz2".pathBytes, Int(st.mtimeNanoseconds / 1_000_000_000))
        rename(tree.path("raw_data/tmp"), tree.path("raw_data/isfs_20170501_080000.dat.bz2"))
        let calls = reader.calls
        let r = try scan()
        #expect(r.changed == 3 && r.unchanged == 4 && r.new == 0)
        #expect(reader.calls == calls + 3)
        #expect(try entry("isfs_20170501_000000.dat.bz2")?.size == 101)
    }

    @Test func vanishedFilesBecomeTombstonesThatKeepCoverageAndComeBack() throws {
        makeIsfsTree()
        _ = try scan()
        let coverage = try #require(try entry("isfs_20170501_040000.dat.bz2")?.coverage)
        tree.remove("raw_data/isfs_20170501_040000.dat.bz2")
        tree.remove("minidvodbs/g1/db1/sub")  // a whole directory
        let r = try scan(now: Instant(seconds: 1_750_000_000))
        #expect(r.missing == 2 && r.unchanged == 5)
        let gone = try #require(try entry("isfs_20170501_040000.dat.bz2", states: [.missing]))
        #expect(gone.coverage == coverage && gone.goneAt == Instant(seconds: 1_750_000_000))
        #expect(try entry("cps.fits", states: [.missing]) != nil)
        #expect(try entry("isfs_20170501_040000.dat.bz2") == nil)  // default: live only

        tree.write("raw_data/isfs_20170501_040000.dat.bz2", size: 100)
        let r2 = try scan()
        #expect(r2.new == 0 && (r2.changed + r2.revived) == 1)
        #expect(try entry("isfs_20170501_040000.dat.bz2")?.state == .live)
        #expect(try catalog.foreignKeyViolations() == 0)
    }

    @Test func restartFileClipsThePreviousOneAcrossScans() throws {
        tree.write("raw_data/isfs_20170501_000000.dat.bz2")
        _ = try scan()
        #expect(try entry("isfs_20170501_000000.dat.bz2")?.coverage?.end == Instant(year: 2017, month: 5, day: 1, hour: 4))
        tree.write("raw_data/isfs_20170501_013512.dat.bz2")  // the data system restarted at 01:35:12
        _ = try scan()
        #expect(try entry("isfs_20170501_000000.dat.bz2")?.coverage?.end == Instant(year: 2017, month: 5, day: 1, hour: 1, minute: 35, second: 12))
        #expect(try entry("isfs_20170501_013512.dat.bz2")?.coverage?.end == Instant(year: 2017, month: 5, day: 1, hour: 4))
    }

    @Test func datasetsCoverTheUnionOfTheirFiles() throws {
        makeIsfsTree()
        _ = try scan()
        let row = try catalog.pool.read { db in try GRDBRow.fetchOne(db, sql: "SELECT start, \"end\", files, bytes FROM datasets WHERE name = 'minidvodbs/g1/db1'") }
        let r = try #require(row)
        #expect((r[0] as Int64) == 1_500_000_000_000_000 && (r[1] as Int64) == 1_500_000_100_000_000)
        #expect((r[2] as Int) == 2 && (r[3] as Int) == 15)
    }

    @Test func changedDefinitionClassifiesAgain() throws {
        makeIsfsTree()
        _ = try scan()
        let renamed = Self.definitionText.replacingOccurrences(of: "category = \"raw/dsm\"", with: "category = \"raw/dsm2\"")
        let r = try scan(renamed)
        #expect(r.changed == 7)
        #expect(try entry("tse01_20170501_000000.dat")?.category == "raw/dsm2")
    }

    @Test func oddFileNamesAreKeptAsBytes() throws {
        let names: [PathBytes] = [
            "with space.dat".pathBytes, "brackets[1].fits".pathBytes, "new\nline.dat".pathBytes,
            [0x6e, 0x6f, 0x74, 0xFF, 0xFE, 0x75, 0x74, 0x66], "tab\there".pathBytes, "ünïcödé.nc".pathBytes,
        ]
        for n in names { tree.write("odd".pathBytes.appendingComponent(n)) }
        let r = try scan()
        #expect(r.new == names.count && r.errors == 0)
        let paths = Set(try catalog.find(FindQuery()).map(\.path))
        for n in names { #expect(paths.contains(tree.rootBytes.appendingComponent("odd".pathBytes).appendingComponent(n))) }
        #expect(try scan().unchanged == names.count)
    }

    @Test func symlinksAreSkippedUnlessFollowedAndLoopsEnd() throws {
        tree.write("a/b/file.dat")
        symlink("..", tree.path("a/b/up"))          // a loop when followed
        symlink("file.dat", tree.path("a/b/link"))  // a link to a file
        let r = try scan()
        #expect(r.files == 1 && r.symlinksSkipped == 2 && r.errors == 0)
        let f = try scan(follow: true)
        #expect(f.problems.contains { $0.message.contains("loop") })
        #expect(f.files == 2)  // file.dat and link (to it) are both catalogued
    }

    @Test func serialAndParallelWalksAgree() throws {
        for i in 0..<300 { tree.write("d\(i % 17)/e\(i % 5)/f\(i).dat") }
        _ = try scan(threads: 1)
        let serial = try catalog.find(FindQuery()).map(\.path)
        let other = try temporaryCatalog()
        let d = try ContextDefinition(file: "t", text: Self.definitionText, defaultName: "t")
        var o = ScanOptions(); o.walk.threads = 4
        _ = try Scanner(catalog: other, definition: d, roots: [tree.rootBytes], options: o).run()
        #expect(Set(try other.find(FindQuery()).map(\.path)) == Set(serial))
        #expect(serial.count == 300)
    }

    @Test func filesChangingDuringTheScanLoseNothing() throws {
        for i in 0..<2000 { tree.write("churn/d\(i % 20)/f\(i).dat") }
        let stop = Atomic(false)
        let churner = Thread {
            var i = 0
            while !stop.load() {
                let p = "churn/d\(i % 20)/f\(i % 2000).dat"
                if i % 3 == 0 { unlink(self.tree.path(p)) } else { self.tree.write(p, size: i % 100) }
                i += 1
            }
        }
        churner.start()
        for _ in 0..<3 { _ = try scan() }
        stop.store(true)
        Thread.sleep(forTimeInterval: 0.05)
        // Once the tree is still, one more scan makes the catalog agree with the disk.
        _ = try scan()
        let onDisk = Set((try FileManager.default.subpathsOfDirectory(atPath: tree.path("churn"))).filter { $0.hasSuffix(".dat") }.map { tree.path("churn/" + $0) })
        let live = Set(try catalog.find(FindQuery()).map(\.path.displayPath))
        #expect(live == onDisk)
        let check = try catalog.pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(check == "ok")
    }

    @Test func missingRootIsRefusedBeforeAnythingIsWritten() throws {
        let d = try ContextDefinition(file: "t", text: Self.definitionText, defaultName: "t")
        #expect(throws: ScanError.self) {
            try Scanner(catalog: catalog, definition: d, roots: ["/nonexistent/tidemark".pathBytes]).run()
        }
        #expect(try catalog.count("SELECT count(*) FROM scans") == 0)
    }
}

/// A tiny atomic flag for the churn thread.
final class Atomic<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func load() -> T { lock.withLock { value } }
    func store(_ v: T) { lock.withLock { value = v } }
}
