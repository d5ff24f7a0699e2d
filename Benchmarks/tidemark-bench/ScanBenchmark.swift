import ArgumentParser
import Foundation
import TidemarkCore

/// `tidemark-bench scan`: a first scan and an unchanged rescan against `find`, same tree, same run.
struct ScanBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Time find, a first scan and an unchanged rescan on a metadata-bound tree.",
        discussion: """
            The tree (ISFS projects and an IPP tree of tiny files) is built once in --dir and \
            reused: creating a tree right after deleting one is several times slower on ext4.
            """)

    @Option(help: "Files in the tree.") var files = 1_000_000
    @OptionGroup var places: BenchPlaces
    @Option(help: "Runs of each measurement; the median is kept.") var repeats = 3
    @Option(help: "A second, larger tree (e.g. 3000000 files) for the slope of peak memory per file.") var slopeFiles: Int?

    func run() throws {
        let one = try measure(files: files)
        print(one.table)
        if let slopeFiles {
            let two = try measure(files: slopeFiles)
            print(two.table)
            let perFile = { (a: Measured, b: Measured) in Double(b.maxRSSBytes - a.maxRSSBytes) / Double(max(1, two.seen - one.seen)) }
            print("peak memory slope, \(Format.count(one.seen)) → \(Format.count(two.seen)) files: "
                  + String(format: "first scan %.0f bytes per file, rescan %.0f bytes per file (goal ≤ 40)",
                           perFile(one.first, two.first), perFile(one.rescan, two.rescan)))
        }
        print("goals: first scan ≤ 2× find, rescan ≤ 0.75× find, peak memory ≤ 300 MB at 1 M files and ≤ 40 bytes per file more, catalog ≤ 250 bytes per file")
    }

    /// The figures of one tree size.
    struct Figures {
        var seen: Int
        var first: Measured
        var rescan: Measured
        var table: String
    }

    func measure(files: Int) throws -> Figures {
        let dir = places.dir
        let root = dir + "/tree-\(files)"
        let built = try BenchTree.ensure(root: root, files: files)
        let bin = places.binary
        let definitions = root + "/catalogs"
        let db = dir + "/scan-\(files).sqlite"
        let scan = [bin, "scan", "bench/archive", "--catalogs", definitions, "--db", db, "--json"]
        func removeCatalog() throws {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        }

        FileHandle.standardError.write(Data("warming the cache with find …\n".utf8))
        let findArgs = ["/usr/bin/find", root, "-type", "f", "-printf", "%s %T@ %p\n"]
        _ = try Measure.run(findArgs)
        let find = try Measure.median(repeats, findArgs)
        let walk = try Measure.median(repeats, [CommandLine.arguments[0], "walk", root + "/data", "--threads", "2"])
        let first = try Measure.median(repeats, scan, outputFile: dir + "/scan-first.json", before: removeCatalog)
        let catalogBytes = Measure.fileSize(db) + Measure.fileSize(db + "-wal")
        let rescan = try Measure.median(repeats, scan, outputFile: dir + "/scan-rescan.json")
        let firstReport = try JSONSerialization.jsonObject(with: first.stdout) as? [String: Any] ?? [:]
        let report = try JSONSerialization.jsonObject(with: rescan.stdout) as? [String: Any] ?? [:]
        let seen = report["files"] as? Int ?? -1

        func row(_ label: String, _ m: Measured) -> String {
            label.padding(toLength: 36, withPad: " ", startingAt: 0)
                + "\(Format.col(m.seconds))  \(Format.range(m.range))   \(Format.ratio(m.seconds / find.seconds))   "
                + "\(Format.col(m.cpuSeconds))   \(Format.mb(m.maxRSSBytes))"
        }
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let table = """
            tidemark-bench scan: \(Format.count(built)) files (\(Format.count(seen)) seen by the scan), \(cpus) cores, \
            median and range of \(repeats) runs
            measurement                          seconds  range          vs find   CPU-s   peak RSS
            \(row("find -type f -printf '%s %T@ %p\\n'", find))
            \(row("walker alone (2 threads)", walk))
            \(row("tidemark scan, empty catalog", first))
            \(row("tidemark scan, unchanged tree", rescan))
            catalog size: \(Format.mb(catalogBytes)), \(catalogBytes / max(1, seen)) bytes per file
            phases of the median first scan: \(Format.phases(firstReport["phases"]))
            phases of the median rescan:     \(Format.phases(report["phases"]))
            """
        if seen != built { throw BenchError("the scan saw \(seen) files, the tree has \(built)") }
        return Figures(seen: seen, first: first, rescan: rescan, table: table)
    }
}

/// The benchmark tree: many ISFS projects and a large IPP tree, all tiny files, with a
/// context definition of its own (`catalogs/bench/archive.toml`) that uses name and mtime only.
enum BenchTree {
    static let version = "1"

    /// Builds the tree unless a complete one is there already; returns its file count.
    static func ensure(root: String, files: Int) throws -> Int {
        let marker = root + "/.complete"
        if let text = try? String(contentsOfFile: marker, encoding: .utf8), text.hasPrefix("v\(version) ") {
            return Int(text.split(separator: " ")[1]) ?? 0
        }
        FileHandle.standardError.write(Data("building a \(files)-file tree in \(root) (once) …\n".utf8))
        try? FileManager.default.removeItem(atPath: root)
        var tree = ExampleTree(root: root + "/data")
        tree.tiny = true
        let start = Instant(year: 2015, month: 1, day: 1)!
        // ~30 % ISFS (8,040 files a project), ~70 % IPP.
        let projects = max(1, Int(Double(files) * 0.3 / 8040))
        for p in 0..<projects {
            let t = Instant(microseconds: start.microseconds + Int64(p) * 61 * 86_400_000_000)
            tree.isfsProject("isfs/projects/P\(String(format: "%03d", p))", project: "P\(p)", start: t, days: 60, dsms: 20)
        }
        let left = max(0, files - tree.files)
        // minidvodbs 30 %, postage stamps 35 %, chip/warp/diff 35 % of the rest.
        let dbs = left * 30 / 100 / 100
        let requests = left * 35 / 100 / 11
        let exposures = (left - dbs * 100 - requests * 11) / 60
        tree.ipp("ipp", start: start, groups: 10, dbsPerGroup: max(1, dbs / 10), tablesPerDb: 100,
                 requests: requests, stampsPerRequest: 10, exposures: exposures, chipsPerExposure: 60)
        while tree.files < files { tree.write("ipp/misc/\(tree.files).log", []) }
        try FileManager.default.createDirectory(atPath: root + "/catalogs/bench", withIntermediateDirectories: true)
        try definition(root: root + "/data").write(toFile: root + "/catalogs/bench/archive.toml", atomically: true, encoding: .utf8)
        try "v\(version) \(tree.files) files\n".write(toFile: marker, atomically: true, encoding: .utf8)
        return tree.files
    }

    static func definition(root: String) -> String {
        """
        context = "bench/archive"
        roots = ["\(root)"]
        [[rule]]
        match = "isfs/projects/{p}/raw_data/isfs_%Y%m%d_%H%M%S.dat"
        category = "raw/nidas"
        stream = "{p}"
        length = "4h"
        [[rule]]
        match = "isfs/projects/{p}/raw_data/{dsm}_%Y%m%d_%H%M%S.dat"
        category = "raw/dsm"
        stream = "{p}/{dsm}"
        length = "4h"
        [[rule]]
        match = "isfs/projects/{p}/merge/isfs_%Y%m%d_%H%M%S.dat"
        category = "merge"
        stream = "{p}"
        length = "4h"
        [[rule]]
        match = "isfs/projects/{p}/netcdf/{kind}/*%Y%m%d*.nc"
        category = "netcdf/{kind}"
        stream = "{p}/{kind}"
        [[rule]]
        match = "ipp/minidvodbs/{group}/{db}/**"
        category = "minidvodb"
        stream = "{group}"
        dataset = "minidvodbs/{group}/{db}"
        [[rule]]
        match = "ipp/pstamp/work/%Y%m%d/{req}/**"
        category = "pstamp"
        stream = "pstamp"
        dataset = "pstamp/{req}"
        [[rule]]
        match = "ipp/chip/{night}/{exp}/*.ch.fits"
        category = "chip"
        stream = "gpc1"
        [[rule]]
        match = "ipp/warp/{night}/{exp}/*.wrp.*.fits"
        category = "warp"
        stream = "gpc1"
        [[rule]]
        match = "ipp/diff/{night}/{exp}/*.dif.*.fits"
        category = "diff"
        stream = "gpc1"
        """
    }
}

enum Format {
    static func count(_ n: Int) -> String {
        let f = NumberFormatter()
        f.numberStyle = .decimal
        return f.string(from: NSNumber(value: n)) ?? "\(n)"
    }
    static func col(_ s: Double) -> String { String(format: "%7.2f", s) }
    static func ratio(_ r: Double) -> String { String(format: "%.2f×", r) }
    static func mb(_ b: Int) -> String { String(format: "%.0f MB", Double(b) / 1e6) }
    static func range(_ r: ClosedRange<Double>) -> String { String(format: "%5.2f–%5.2f", r.lowerBound, r.upperBound) }

    /// `scan --json`'s phases on one line: each phase's figures in seconds.
    static func phases(_ json: Any?) -> String {
        guard let phases = json as? [String: [String: Double]] else { return "(none reported)" }
        return ["walk", "lookup", "classify", "write", "finish"].compactMap { name in
            guard let p = phases[name] else { return nil }
            let figures = ["wall", "worker_seconds", "cpu", "after_walk"].compactMap { k in p[k].map { "\(k) " + String(format: "%.2f", $0) } }
            return "\(name) (\(figures.joined(separator: ", ")))"
        }.joined(separator: "; ")
    }
}
