import ArgumentParser
import Foundation
import TidemarkCore

/// `tidemark-bench requests`: resolving 1,000 one-hour requests in the 1,000,000-file
/// catalog with 100,000 purged files, and what 1,000 open requests pinning files cost an
/// age-off plan.
struct RequestsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests",
        abstract: "Time resolving 1,000 one-hour requests among 100,000 purged files, and an age-off plan with them open.",
        discussion: """
            The catalog is a copy of the scan benchmark's (its tree built once in --dir), in which \
            the first --purged raw/dsm files are made purged tombstones (not measured). Requests for \
            raw/dsm (which has an update command) are spread evenly over the raw/dsm coverage; they \
            are added and resolved in process as `request add --from-fits` adds a file of them: \
            all added in one transaction, all resolved in one more (files needed recorded, \
            dependents created), and read back; --each makes one call per request. The age-off \
            plan (the oldest raw/dsm until --select files are chosen) is timed before the requests \
            and again with them open (median of --repeats).
            """)

    @Option(help: "Files in the tree.") var files = 1_000_000
    @Option(help: "raw/dsm files made purged.") var purged = 100_000
    @Option(help: "One-hour requests to resolve.") var requests = 1_000
    @Option(help: "Files the age-off plan selects.") var select = 100_000
    @Option(help: "Runs of each plan measurement; the median is kept.") var repeats = 3
    @Flag(help: "Add and resolve each request in a call of its own, not all in one batch.") var each = false
    @OptionGroup var places: BenchPlaces

    func run() throws {
        let dir = places.dir
        let root = dir + "/tree-\(files)"
        let built = try BenchTree.ensure(root: root, files: files)
        let bin = places.binary
        let db = dir + "/requests-\(files).sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        if FileManager.default.fileExists(atPath: dir + "/scan-\(files).sqlite") {
            try FileManager.default.copyItem(atPath: dir + "/scan-\(files).sqlite", toPath: db)
        }
        FileHandle.standardError.write(Data("bringing the catalog \(db) up to date and purging \(purged) raw/dsm files (not measured) …\n".utf8))
        let scan = try Measure.run([bin, "scan", "bench/archive", "--catalogs", root + "/catalogs", "--db", db, "--quiet"])
        guard scan.status == 0 else { throw BenchError("the scan of \(root) failed: tidemark \(scan.outcome)") }
        let now = Instant(secondsSince1970: Date().timeIntervalSince1970)
        let purge = try Measure.run(["/usr/bin/sqlite3", db, """
            UPDATE files SET state = 3, gone_at = \(now.microseconds) WHERE id IN (
                SELECT f.id FROM files f JOIN streams s ON s.id = f.stream_id WHERE s.category = 'raw/dsm' AND f.state = 0 ORDER BY f.id LIMIT \(purged));
            """])
        guard purge.status == 0 else { throw BenchError("sqlite3 could not purge: \(purge.outcome)") }
        let span = String(decoding: try Measure.run(["/usr/bin/sqlite3", db, """
            SELECT min(f.start), max(f."end") FROM files f JOIN streams s ON s.id = f.stream_id WHERE s.category = 'raw/dsm'
            """], outputFile: dir + "/requests-span.txt").stdout, as: UTF8.self).split(separator: "|").compactMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard span.count == 2, span[1] > span[0] else { throw BenchError("the catalog has no raw/dsm coverage") }

        let store = try SQLiteCatalog(path: db, create: false)
        let policy = Policy(name: "bench", context: "bench/archive",
                            rules: [.ageOff(AgeOffRule(name: "oldest raw/dsm", categories: ["raw/dsm"], target: .bytes(Int64(select) * 16)))],
                            file: "<bench>")
        func planSeconds() throws -> (Double, Int) {
            var times: [Double] = [], chosen = 0
            for _ in 0..<max(1, repeats) {
                let t = DispatchTime.now()
                chosen = try PolicyPlanner(catalog: store).plan(policy, now: now).actions.count
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9)
            }
            return (times.sorted()[times.count / 2], chosen)
        }
        let (without, chosenWithout) = try planSeconds()

        // Resolving, as `request add --from-fits` with 1,000 rows does: every request added in
        // one transaction and resolved in one more (--each: one request per call, as 1,000
        // `request add` runs would be, less their process starts).
        let resolver = RequestResolver(store: store) { _ in ["raw/dsm"] }
        let step = (span[1] - span[0] - 3_600_000_000) / Int64(max(1, requests))
        let t = DispatchTime.now(), cpu = Measure.cpuSeconds()
        let specs = (0..<requests).map { i in
            let begin = Instant(microseconds: span[0] + Int64(i) * step)
            return (spec: RequestSpec(context: "bench/archive", categories: ["raw/dsm"],
                                      window: TimeWindow(begin: begin, end: Instant(microseconds: begin.microseconds + 3_600_000_000))),
                    malformed: String?.none)
        }
        let resolved = each ? try specs.flatMap { try resolver.add([$0], at: now, by: "bench") } : try resolver.add(specs, at: now, by: "bench")
        let resolveSeconds = Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9
        let resolveCPU = Measure.cpuSeconds() - cpu
        let needed = resolved.reduce(0) { $0 + $1.files }, dependents = resolved.reduce(0) { $0 + $1.dependents }
        let faulted = resolved.count { $0.state == .fault }
        let (with, chosenWith) = try planSeconds()

        print("""
            tidemark-bench requests: \(Format.count(built))-file tree, \(Format.count(purged)) raw/dsm files purged, \
            \(ProcessInfo.processInfo.activeProcessorCount) cores, catalog SQLite
            resolve \(Format.count(requests)) one-hour raw/dsm requests (add + resolve, in process, \(each ? "one per call" : "one batch")): \(Format.col(resolveSeconds)) s (CPU \(Format.col(resolveCPU)) s)   goal ≤ 2 s
              \(Format.count(needed)) files needed, \(Format.count(dependents)) dependents, \(faulted) requests faulted
            age-off plan (oldest raw/dsm until \(Format.count(select)) chosen, median of \(max(1, repeats))):
              without requests   \(Format.col(without)) s   \(Format.count(chosenWithout)) chosen
              with \(Format.count(requests)) open   \(Format.col(with)) s   \(Format.count(chosenWith)) chosen   \(Format.ratio(with / without))   goal ≤ 1.2×
            """)
    }
}
