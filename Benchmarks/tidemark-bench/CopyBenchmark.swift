import ArgumentParser
import Foundation

/// `tidemark-bench copy`: queuing 10,000 datasets, and copying 2,000 datasets of 10 small
/// files each with `copy run --once` against one plain `rsync -a` of the same files to another
/// empty destination, measured in the same run.
struct CopyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Time copy queue (10,000 datasets) and copy run --once (2,000 datasets) against one rsync -a.",
        discussion: """
            The trees and their scanned catalogs are built once in --dir (not measured); each run \
            starts from a copy of the scanned catalog and empty destinations on the same disk. \
            The last run's destinations are moved aside and removed only after both are measured: \
            an ext4 file system without a journal skips inodes freed in the last minutes one by one \
            when it creates files, which made whichever ran first after a removal several times \
            slower (a run within 6 min of the last removal waits). CPU times are user + system, \
            children included. Goals: the queue ≤ 1 s; copy run within 1.5× of rsync -a.
            """)

    @Option(help: "Datasets queued.") var queueDatasets = 10_000
    @Option(help: "Datasets copied.") var copyDatasets = 2_000
    @Option(help: "Files per copied dataset.") var files = 10
    @Option(help: "Bytes per file.") var size = 200
    @OptionGroup var places: BenchPlaces

    func run() throws {
        let bin = places.binary
        let queue = try prepare(datasets: queueDatasets, files: 1, name: "copyq")
        let copy = try prepare(datasets: copyDatasets, files: files, name: "copyr")

        // 1. Queue every dataset for one host (this machine).
        let qdb = try fresh(queue.db)
        try tidemark(bin, ["host", "add", "here", "--db", qdb])
        let destQ = try emptyDirectory(places.dir + "/copyq-dest")
        let queued = try Measure.run([bin, "copy", "queue", "--context", "bench/copies", "--category", "set", "--host", "here", "--path", destQ,
                                      "--margin", "0", "--db", qdb, "--catalogs", queue.catalogs])
        guard queued.status == 0 else { throw BenchError("copy queue \(queued.outcome)") }

        // 2. Copy: tidemark's queue run, then one rsync -a of the same files.
        // ext4 skips an inode freed less than 60 s ago, 6 min while its table block is dirty (and
        // new files in the same block dirty it again): waited out, the last run's removal slows
        // neither run. (Removals by other programs on the same disk still can: see the CPU times.)
        if let removed = try? FileManager.default.attributesOfItem(atPath: removalStamp)[.modificationDate] as? Date,
           -removed.timeIntervalSinceNow < settle {
            let wait = settle + removed.timeIntervalSinceNow
            if wait > 0 {
                FileHandle.standardError.write(Data(String(format: "waiting %.0f s: the last run's destinations were removed %.0f s ago, and ext4 "
                                                           + "skips their inodes one by one while they are that recent\n", wait, -removed.timeIntervalSinceNow).utf8))
                Thread.sleep(forTimeInterval: wait)
            }
        }
        let rdb = try fresh(copy.db)
        try tidemark(bin, ["host", "add", "here", "--db", rdb])
        let destT = try emptyDirectory(places.dir + "/copyr-dest-tidemark"), destR = try emptyDirectory(places.dir + "/copyr-dest-rsync")
        try tidemark(bin, ["copy", "queue", "--context", "bench/copies", "--category", "set", "--host", "here", "--path", destT, "--margin", "0",
                           "--db", rdb, "--catalogs", copy.catalogs])
        let ran = try Measure.run([bin, "copy", "run", "--once", "--margin", "0", "--db", rdb])
        guard ran.status == 0 else { throw BenchError("copy run \(ran.outcome)") }
        let rsync = try Measure.run(["/usr/bin/rsync", "-a", copy.root + "/", destR + "/"])
        guard rsync.status == 0 else { throw BenchError("rsync -a \(rsync.outcome)") }

        removeAside()

        let ratio = ran.seconds / max(rsync.seconds, 1e-9)
        print(String(format: "copy queue: %d datasets in %.3f s (goal ≤ 1 s)", queueDatasets, queued.seconds))
        print(String(format: "copy run --once: %d datasets × %d files in %.3f s (CPU %.3f s); rsync -a of the same files: %.3f s (CPU %.3f s); "
                     + "ratio %.2f× (goal ≤ 1.5×), CPU ratio %.2f×",
                     copyDatasets, files, ran.seconds, ran.cpuSeconds, rsync.seconds, rsync.cpuSeconds, ratio,
                     ran.cpuSeconds / max(rsync.cpuSeconds, 1e-9)))
    }

    /// Seconds after a removal of destinations before the next measurement.
    private var settle: Double { 360 }

    /// Where the time of the last removal of destinations is kept.
    private var removalStamp: String { places.dir + "/copy-destinations-removed" }

    /// Removes the destinations `emptyDirectory` moved aside, once nothing is measured, and
    /// notes when.
    private func removeAside() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: places.dir)) ?? []
        for n in names where n.hasPrefix("copy") && n.hasSuffix(".aside") {
            try? FileManager.default.removeItem(atPath: places.dir + "/" + n)
        }
        FileManager.default.createFile(atPath: removalStamp, contents: nil)
    }

    /// A tree of `datasets` directories of `files` files each, its definition, and its
    /// scanned catalog, built once.
    private func prepare(datasets: Int, files: Int, name: String) throws -> (root: String, catalogs: String, db: String) {
        let base = places.dir + "/\(name)-\(datasets)x\(files)x\(size)"
        let root = base + "/tree", catalogs = base + "/catalogs", db = base + "/catalog.sqlite"
        if FileManager.default.fileExists(atPath: db) { return (root, catalogs, db) }
        try? FileManager.default.removeItem(atPath: base)
        FileHandle.standardError.write(Data("building \(base) (not measured) …\n".utf8))
        let bytes = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        for d in 0..<datasets {
            let dir = root + String(format: "/sets/g%02d/db%05d", d % 10, d)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for f in 0..<files { FileManager.default.createFile(atPath: dir + "/f\(f).dat", contents: bytes) }
        }
        try FileManager.default.createDirectory(atPath: catalogs + "/bench", withIntermediateDirectories: true)
        try """
            context = "bench/copies"
            roots = ["\(root)"]

            [[rule]]
            match = "sets/{group}/{db}/**"
            category = "set"
            stream = "{group}"
            dataset = "sets/{group}/{db}"
            time = ["mtime"]

            """.write(toFile: catalogs + "/bench/copies.toml", atomically: true, encoding: .utf8)
        try tidemark(places.binary, ["scan", "bench/copies", "--catalogs", catalogs, "--db", db + ".tmp", "--quiet"])
        try FileManager.default.moveItem(atPath: db + ".tmp", toPath: db)
        return (root, catalogs, db)
    }

    /// A copy of the scanned catalog `db` to work on.
    private func fresh(_ db: String) throws -> String {
        let work = db + ".work"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: work + suffix) }
        try FileManager.default.copyItem(atPath: db, toPath: work)
        return work
    }

    /// An empty directory at `path`: one there already is moved aside (renamed: no inode is
    /// freed before the measurements), for `removeAside` to remove after them.
    private func emptyDirectory(_ path: String) throws -> String {
        if FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: path + ".aside")  // left by a run that stopped early
            try FileManager.default.moveItem(atPath: path, toPath: path + ".aside")
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func tidemark(_ bin: String, _ args: [String]) throws {
        let r = try Measure.run([bin] + args)
        guard r.status == 0 else { throw BenchError("tidemark \(args.prefix(2).joined(separator: " ")) \(r.outcome)") }
    }
}
