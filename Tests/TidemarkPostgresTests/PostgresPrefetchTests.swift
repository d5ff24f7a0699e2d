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
    func scan(_ tree: TempTree, _ url: String, cap: Int, waiting: Int) throws -> ScanReport {
        let store = try PostgresScanStore(url: url, environment: ProcessInfo.processInfo.environment,
                                          prefetched: PrefetchedDirectories(cap: cap, maxWaiting: waiting))
        let d = try ContextDefinition(file: "prefetch.toml", text: Self.definition, defaultName: "test/prefetch")
        var o = ScanOptions()
        o.walk.threads = 4
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
}
