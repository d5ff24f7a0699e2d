import Foundation
import GRDB
import PostgresNIO
import Testing
@testable import TidemarkCore
@testable import TidemarkPostgres
import TestSupport

/// The catalog's contents after a sequence of scans, compared with a dump pinned from the
/// scanner as it was before the scan's hot paths were rewritten (ScanContentsReference).
/// The dump names rows by their paths and names, not ids (ids follow the walk's order),
/// and leaves out what differs between runs (inode, device, ctime: checked against disk).
/// A PostgreSQL catalog must come out identical, dump for dump.
@Suite struct ScanContentsTests {

    static let definitionText = """
        context = "test/contents"
        ignore = ["**/.*"]
        [[rule]]
        match = "raw_data/isfs_%Y%m%d_%H%M%S.dat"
        category = "raw/nidas"
        stream = "isfs"
        length = "4h"
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
        [[rule]]
        match = "pstamp/{req}/*.fits"
        category = "pstamp"
        stream = "pstamp"
        dataset = "pstamp/{req}"
        time = ["fits", "mtime"]
        [[rule]]
        match = "headers/*.fits"
        category = "header"
        stream = "headers"
        time = ["fits"]
        """

    let tree = TempTree("contents")
    let catalog: any ScanStore

    /// A scan of the tree into `store`; nil for PostgreSQL without the tests' server.
    init?(_ store: TestStore) throws {
        switch store {
        case .sqlite: catalog = try temporaryCatalog()
        case .postgres:
            guard let url = try freshPostgresDatabase() else { return nil }
            catalog = try PostgresScanStore(url: url)
        }
    }

    func scan(threads: Int, at seconds: Int) throws -> ScanReport {
        let d = try ContextDefinition(file: "contents.toml", text: Self.definitionText, defaultName: "test/contents")
        var o = ScanOptions()
        o.walk.threads = threads
        o.batchSize = 7  // many write transactions, as on a large tree
        return try Scanner(catalog: catalog, definition: d, roots: [tree.rootBytes], resolver: .standard, options: o)
            .run(now: Instant(seconds: Int64(seconds)))
    }

    /// Four hours in seconds.
    static let h4 = 14_400

    func buildTree() {
        let base = 1_493_596_800  // 2017-05-01 00:00 UTC
        // Ten days of 4-hour files across a month end, with a restart that clips its predecessor.
        for i in 0..<60 {
            var t = base - 5 * 86_400 + i * Self.h4
            if i == 17 { t += 3_600 + 754 }
            let stamp = Self.stamp(t)
            tree.write("raw_data/isfs_\(stamp).dat", size: 100 + i, mtime: t + Self.h4)
            if i % 3 == 0 { tree.write("raw_data/tse0\(i % 4)_\(stamp).dat", size: 50, mtime: t + Self.h4) }
        }
        // A gap in the raw stream: runs split there.
        tree.remove("raw_data/isfs_\(Self.stamp(base - 5 * 86_400 + 30 * Self.h4)).dat")
        for g in 0..<2 {
            for db in 0..<3 {
                for k in 0..<5 {
                    let sub = k == 4 ? "sub/" : ""
                    tree.write("minidvodbs/g\(g)/db\(db)/\(sub)n\(k).cpt", size: 7 + k, mtime: base + g * 1000 + db * 100 + k)
                }
            }
        }
        for r in 0..<4 {
            for s in 0..<3 {
                let date = Self.fitsDate(base + r * 600 + s * 40)
                tree.write("pstamp/req\(r)/stamp\(s).fits", contents: TempTree.fitsHeader(dateObs: date))
                tree.setMtime("pstamp/req\(r)/stamp\(s).fits".pathBytes, base + 10)
            }
        }
        tree.write("pstamp/req0/broken.fits", contents: Array("not a fits file at all".utf8))
        tree.setMtime("pstamp/req0/broken.fits".pathBytes, base + 20)
        // Header files only: one without a time gives no coverage at all (an undated rollup).
        tree.write("headers/good.fits", contents: TempTree.fitsHeader(dateObs: "2017-04-30T12:00:00"))
        tree.write("headers/undated.fits", contents: Array("SIMPLE  =".utf8) + [UInt8](repeating: 0x20, count: 40))
        tree.setMtime("headers/good.fits".pathBytes, base)
        tree.setMtime("headers/undated.fits".pathBytes, base)
        tree.write("notes/README", size: 3, mtime: 1_400_000_000)
        tree.write("notes/deep/er/than/most.txt", size: 4, mtime: 1_400_000_100)
        tree.write("raw_data/.isfs_20170501_120000.dat.swp", size: 1)
    }

    /// The same sequence of scans, with `threads` walkers: a first scan, changes, an
    /// unchanged rescan. Returns the dump after each.
    func scanSequence(threads: Int) throws -> [String] {
        buildTree()
        var dumps: [String] = []
        _ = try scan(threads: threads, at: 1_700_000_000)
        dumps.append(try dump())
        // Files gone (one, and a whole directory), one grown, one new that clips an older
        // one, a new dataset member and a new directory.
        tree.remove("raw_data/isfs_\(Self.stamp(1_493_596_800 - 5 * 86_400 + 40 * Self.h4)).dat")
        tree.remove("minidvodbs/g1/db2/sub")
        tree.write("minidvodbs/g0/db0/n0.cpt", size: 70, mtime: 1_493_596_800 + 5)
        tree.write("raw_data/isfs_\(Self.stamp(1_493_596_800 - 5 * 86_400 + 50 * Self.h4 + 7_200)).dat", size: 9, mtime: 1_493_600_000)
        tree.write("minidvodbs/g1/db1/n9.cpt", size: 1, mtime: 1_493_000_000)
        tree.write("minidvodbs/g2/db0/n0.cpt", size: 2, mtime: 1_493_000_001)
        let second = try scan(threads: threads, at: 1_700_100_000)
        #expect(second.missing == 2 && second.new == 3 && second.changed == 1)
        dumps.append(try dump())
        let third = try scan(threads: threads, at: 1_700_200_000)
        #expect(third.new == 0 && third.changed == 0 && third.missing == 0 && third.unchanged == second.files)
        dumps.append(try dump())
        try checkStatsMatchDisk()
        if let sqlite = catalog as? SQLiteCatalog { #expect(try sqlite.foreignKeyViolations() == 0) } else {
            #expect(try rows(orphanedFilesSQL).isEmpty)
        }
        return dumps
    }

    @Test(arguments: [1, 3], TestStore.allCases) static func contentsMatchThePinnedReference(threads: Int, store: TestStore) throws {
        guard let test = try ScanContentsTests(store) else { return }
        try test.check(threads: threads)
    }

    func check(threads: Int) throws {
        let dumps = try scanSequence(threads: threads)
        if let out = ProcessInfo.processInfo.environment["TIDEMARK_WRITE_SCAN_DUMP"] {
            try dumps.joined(separator: "=====\n").write(toFile: out + "-\(threads)", atomically: true, encoding: .utf8)
        }
        // The unchanged rescan writes nothing but its own record.
        let withoutScans = { (d: String) in d.split(separator: "\n").filter { !$0.hasPrefix("scan") } }
        #expect(withoutScans(dumps[2]) == withoutScans(dumps[1]))
        let expected = ScanContentsReference.dumps
        #expect(expected.count == 2)
        for (i, (got, want)) in zip(dumps, expected).enumerated() {
            let g = got.split(separator: "\n", omittingEmptySubsequences: false)
            let w = want.split(separator: "\n", omittingEmptySubsequences: false)
            let firstDiff = g.indices.first { $0 >= w.count || g[$0] != w[$0] }.map { "line \($0 + 1): got '\(g[$0])', want '\($0 < w.count ? w[$0] : "")'" }
            #expect(got == want, "dump \(i + 1) differs: \(firstDiff ?? "lengths \(g.count) and \(w.count)")")
        }
    }

    /// Inode, device and ctime are left out of the dump: they must match the disk.
    func checkStatsMatchDisk() throws {
        let rows = try rows("""
            SELECT d.path, f.name, f.inode, f.device, f.ctime FROM files f JOIN dirs d ON d.id = f.dir_id WHERE f.state = 0
            """)
        #expect(!rows.isEmpty)
        for r in rows {
            guard case .blob(let rel) = r[0], case .blob(let name) = r[1], case .int(let inode) = r[2], case .int(let device) = r[3],
                  case .int(let ctime) = r[4] else { Issue.record("odd row \(r)"); continue }
            let path = (rel.isEmpty ? tree.rootBytes : tree.rootBytes.appendingComponent(rel)).appendingComponent(name)
            let st = try FileStat.of(path: path)
            #expect(st.inode == UInt64(bitPattern: inode) && st.device == UInt64(bitPattern: device) && st.ctimeNanoseconds == ctime,
                    "\(path.displayPath)")
        }
    }

    /// A value as both stores' rows are compared.
    enum Value: CustomStringConvertible {
        case null, int(Int64), text(String), blob(PathBytes)
        /// As GRDB shows a value, blobs as quoted paths.
        var description: String {
            switch self {
            case .null: "NULL"
            case .int(let i): String(i)
            case .text(let t): String(reflecting: t)
            case .blob(let b): "'" + b.displayPath + "'"
            }
        }
    }

    /// The rows of a query, from whichever store the test scanned into.
    func rows(_ sql: String) throws -> [[Value]] {
        if let sqlite = catalog as? SQLiteCatalog {
            return try sqlite.pool.read { db in
                try GRDBRow.fetchAll(db, sql: sql).map { row in
                    row.databaseValues.map { v in
                        switch v.storage {
                        case .null: .null
                        case .int64(let i): .int(i)
                        case .double(let d): .text(String(d))
                        case .string(let s): .text(s)
                        case .blob(let d): .blob(PathBytes(d))
                        }
                    }
                }
            }
        }
        let pg = catalog as! PostgresScanStore
        return try pg.onMain { s throws(CatalogError) in
            try s.rows(PostgresQuery(unsafeSQL: sql)).map { row in
                row.map { cell -> Value in
                    guard let bytes = cell.bytes else { return .null }
                    switch cell.dataType {
                    case .bytea: return .blob(Array(bytes.readableBytesView))
                    case .text, .varchar, .name: return .text(String(buffer: bytes))
                    case .bool: return .int(bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) == 1 ? 1 : 0)
                    default: return .int(cell.optionalInt ?? -999)
                    }
                }
            }
        }
    }

    /// The rows of every table the scan writes, by name rather than id, in a fixed order.
    func dump() throws -> String {
        do {
            var out = ""
            func add(_ label: String, _ sql: String) throws {
                for row in try rows(sql) {
                    out += label + " " + row.map(\.description).joined(separator: "|") + "\n"
                }
            }
            try add("context", "SELECT name, fingerprint IS NOT NULL FROM contexts ORDER BY name")
            try add("dir", "SELECT path FROM dirs ORDER BY path")
            try add("stream", "SELECT category, name, max_duration FROM streams ORDER BY category, name")
            // A scan leaves a dataset's state NULL (its category's initial state, v11b); pinned as before.
            try add("dataset", """
                SELECT category, name, coalesce(state, 'new'), start, "end", files, bytes FROM datasets ORDER BY name
                """)
            try add("file", """
                SELECT d.path, f.name, f.size, f.mtime, s.category, s.name, ds.name, f.start, f."end", f.source, f.state,
                       f.gone_at, f.gone_scan, f.gone_run, f.error, f.notes, f.ctime != 0, f.inode != 0
                FROM files f JOIN dirs d ON d.id = f.dir_id JOIN streams s ON s.id = f.stream_id
                LEFT JOIN datasets ds ON ds.id = f.dataset_id ORDER BY d.path, f.name
                """)
            try add("run", """
                SELECT s.category, s.name, r.live, r.start, r."end", r.files, r.bytes
                FROM coverage_runs r JOIN streams s ON s.id = r.stream_id ORDER BY s.category, s.name, r.live, r.start
                """)
            try add("month", """
                SELECT s.category, s.name, m.month, m.files, m.bytes, m.oldest, m.newest, m.missing, m.deleted, m.errors
                FROM stream_months m JOIN streams s ON s.id = m.stream_id ORDER BY s.category, s.name, m.month
                """)
            try add("scan", "SELECT id, status, files, new, changed, unchanged, missing, revived, errors, bytes FROM scans ORDER BY id")
            try add("scan_error", "SELECT scan_id, path, message FROM scan_errors ORDER BY scan_id, path")
            return out.replacingOccurrences(of: tree.root, with: "ROOT")
        }
    }

    static func stamp(_ seconds: Int) -> String {
        let c = Instant(seconds: Int64(seconds)).civil
        return String(format: "%04d%02d%02d_%02d%02d%02d", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }

    static func fitsDate(_ seconds: Int) -> String {
        let c = Instant(seconds: Int64(seconds)).civil
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }
}
