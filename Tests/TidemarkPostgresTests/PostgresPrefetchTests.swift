import Foundation
import Testing
import TestSupport
@testable import TidemarkCore
@testable import TidemarkPostgres

/// A rescan on PostgreSQL reads each directory's catalogued files with its parent's: what it
/// finds must be exactly what a lookup per directory finds, whether a subdirectory's files
/// came early, came cut short by the cap, or never came (a directory gone from disk).
@Suite struct PostgresPrefetchTests {
    static let definition = """
        context = "test/prefetch"
        [[rule]]
        match = "**"
        category = "data"
        stream = "all"
        time = ["mtime"]
        """

    /// Scans `tree` into `url` with lookups bringing at most `cap` rows ahead, `waiting` in all.
    func scan(_ tree: TempTree, _ url: String, cap: Int, waiting: Int, walkers: Int = 4) throws -> ScanReport {
        let store = try PostgresScanStore(url: url, environment: ProcessInfo.processInfo.environment,
                                          prefetched: PrefetchedDirectories(cap: cap, maxWaiting: waiting))
        let d = try ContextDefinition(file: "prefetch.toml", text: Self.definition, defaultName: "test/prefetch")
        var o = ScanOptions()
        o.walk.threads = walkers
        return try Scanner(catalog: store, definition: d, roots: [tree.rootBytes], resolver: CoverageResolver(readers: []), options: o)
            .run(now: Instant(seconds: 1_700_000_000))
    }

    /// Live files' paths relative to the root, as the catalog has them.
    func live(_ url: String, _ tree: TempTree) throws -> [String] {
        try PostgresCatalog(url: url).find(FindQuery()).map { String($0.path.displayPath.dropFirst(tree.root.count + 1)) }.sorted()
    }

    @Test(arguments: [(1, 10), (4, 4), (4, 40), (20_000, 200_000)])
    func aRescanFindsEveryChangeWhateverThePrefetchBrought(_ cap: Int, _ waiting: Int) throws {
        guard let url = try freshPostgresDatabase() else { return }
        let tree = TempTree("prefetch")
        var files: [String] = []
        for a in 0..<3 {
            for b in 0..<3 {
                for f in 0..<3 { files.append("a\(a)/b\(b)/f\(f).dat") }
                files.append("a\(a)/b\(b)/c/deep.dat")
            }
            files.append("a\(a)/top.dat")
        }
        // Siblings whose names sort between `a1` and `a1/`.
        files += ["root.dat", "a1-x/f.dat", "a1.y/z/g.dat"]
        for f in files { tree.write(f, mtime: 1_600_000_000) }
        try FileManager.default.createDirectory(atPath: tree.path("a0/empty"), withIntermediateDirectories: true)
        let first = try scan(tree, url, cap: cap, waiting: waiting)
        #expect(first.new == files.count && first.missing == 0)

        // Changes at every depth: a subtree gone, files added, changed and removed, a new directory.
        tree.remove("a1/b2")
        tree.write("a2/b0/c/added.dat", mtime: 1_600_000_000)
        tree.write("a0/b1/f1.dat", size: 99, mtime: 1_600_000_000)
        tree.remove("a2/b1/f0.dat")
        tree.write("a0/empty/new/n.dat", mtime: 1_600_000_000)
        tree.write("a1.y/z/g.dat", size: 7, mtime: 1_600_000_000)
        let second = try scan(tree, url, cap: cap, waiting: waiting)
        #expect(second.new == 2)
        #expect(second.changed == 2)
        #expect(second.missing == 5)  // a1/b2's three files and deep.dat, and a2/b1/f0.dat
        #expect(second.unchanged == files.count - 7)

        var now = Set(files)
        now.subtract(["a1/b2/f0.dat", "a1/b2/f1.dat", "a1/b2/f2.dat", "a1/b2/c/deep.dat", "a2/b1/f0.dat"])
        now.formUnion(["a2/b0/c/added.dat", "a0/empty/new/n.dat"])
        #expect(try live(url, tree) == now.sorted())

        let third = try scan(tree, url, cap: cap, waiting: waiting)
        #expect(third.new == 0 && third.changed == 0 && third.missing == 0 && third.unchanged == now.count)
    }

    /// Eight walkers on a wide tree, with caps that cut most queries: walkers meet at spans
    /// other walkers are fetching, and must wait for them rather than take a directory for
    /// absent or fetch one twice.
    @Test(arguments: [(3, 30), (25, 60), (400, 100_000)])
    func eightWalkersOnAWideTreeFindEveryChange(_ cap: Int, _ waiting: Int) throws {
        guard let url = try freshPostgresDatabase() else { return }
        let tree = TempTree("prefetch-wide")
        var files: [String] = []
        for a in 0..<12 {
            for b in 0..<12 {
                for f in 0..<(1 + (a + b) % 4) { files.append("d\(a)/e\(b)/f\(f).dat") }
                if b % 5 == 0 { files.append("d\(a)/e\(b)/x/y/deep.dat") }
            }
        }
        for f in files { tree.write(f, mtime: 1_600_000_000) }
        let first = try scan(tree, url, cap: cap, waiting: waiting, walkers: 8)
        #expect(first.new == files.count && first.missing == 0)

        // A change in every fourth directory: a file added, one changed, one removed.
        var now = Set(files), added = 0, changed = 0, removed = 0
        for a in 0..<12 {
            for b in 0..<12 where (a * 12 + b) % 4 == 0 {
                switch (a + b) % 3 {
                case 0: tree.write("d\(a)/e\(b)/new.dat", mtime: 1_600_000_000); now.insert("d\(a)/e\(b)/new.dat"); added += 1
                case 1: tree.write("d\(a)/e\(b)/f0.dat", size: 42, mtime: 1_600_000_000); changed += 1
                default: tree.remove("d\(a)/e\(b)/f0.dat"); now.remove("d\(a)/e\(b)/f0.dat"); removed += 1
                }
            }
        }
        let second = try scan(tree, url, cap: cap, waiting: waiting, walkers: 8)
        #expect(second.new == added && second.changed == changed && second.missing == removed)
        #expect(second.unchanged == files.count - changed - removed)
        #expect(try live(url, tree) == now.sorted())
        let third = try scan(tree, url, cap: cap, waiting: waiting, walkers: 8)
        #expect(third.new == 0 && third.changed == 0 && third.missing == 0 && third.unchanged == now.count)
    }
}
