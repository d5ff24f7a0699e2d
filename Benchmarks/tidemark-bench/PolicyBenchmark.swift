import ArgumentParser
import Foundation
import TidemarkCore
import TidemarkPostgres

/// `tidemark-bench policy`: planning an age-off of 100,000 files in the 1,000,000-file
/// catalog, and executing it against `find … -delete` on copies of the same files.
struct PolicyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Time an age-off plan of 100,000 files, and its execution against find -delete.",
        discussion: """
            The plan is made in the scan benchmark's catalog of its tree (built once in --dir). \
            The execution runs on two fresh copies of exactly the planned files (plus the newest \
            file of each stream, which is kept): `tidemark delete --yes` on one, `find -delete` \
            on the other. Building and scanning the copies is not measured.

            With --postgres URL (a server whose user may create databases) both catalogs are \
            copied into PostgreSQL databases beside the URL's (`catalog copy`, not measured), \
            and the plan and the execution run there.
            """)

    @Option(help: "Files in the tree.") var files = 1_000_000
    @Option(help: "Files the age-off plan selects.") var select = 100_000
    @OptionGroup var places: BenchPlaces
    @Option(help: "Runs of the plan measurement; the median is kept.") var repeats = 3
    @Option(help: ArgumentHelp("Plan and execute on PostgreSQL copies of the catalogs, on this server.", valueName: "URL"))
    var postgres: String?

    func run() throws {
        let dir = places.dir
        let root = dir + "/tree-\(files)"
        let built = try BenchTree.ensure(root: root, files: files)
        let bin = places.binary
        let db = dir + "/policy-\(files).sqlite"
        // The catalog: the scan benchmark's if there is one, brought up to date by a rescan.
        if !FileManager.default.fileExists(atPath: db), FileManager.default.fileExists(atPath: dir + "/scan-\(files).sqlite") {
            try FileManager.default.copyItem(atPath: dir + "/scan-\(files).sqlite", toPath: db)
        }
        FileHandle.standardError.write(Data("bringing the catalog \(db) up to date …\n".utf8))
        let scan = try Measure.run([bin, "scan", "bench/archive", "--catalogs", root + "/catalogs", "--db", db, "--quiet"])
        guard scan.status == 0 else { throw BenchError("the scan of \(root) failed: tidemark \(scan.outcome)") }

        // 1. Planning: the oldest raw/dsm files (16 bytes each) until `select` of them are chosen.
        let planDb = try postgres.map { try Self.copy(db, into: "tidemark_bench_plan", beside: $0, bin: bin) } ?? db
        let catalog: any PlanningStore = try postgres == nil ? SQLiteCatalog(path: db, readOnly: true) : PostgresCatalog(url: planDb)
        let bytes = Int64(select) * 16
        let policy = Policy(name: "bench", context: "bench/archive",
                            rules: [.ageOff(AgeOffRule(name: "oldest raw/dsm", categories: ["raw/dsm"], target: .bytes(bytes)))],
                            file: "<bench>")
        let now = Instant(secondsSince1970: Date().timeIntervalSince1970)
        var plan: Plan?
        var planTimes: [Double] = []
        for _ in 0..<max(1, repeats) {
            let t = DispatchTime.now()
            plan = try PolicyPlanner(catalog: catalog).plan(policy, now: now)
            planTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9)
        }
        let planSeconds = planTimes.sorted()[planTimes.count / 2]
        let chosen = plan!.actions
        let dryRun = try Measure.run([bin, "delete", "--context", "bench/archive", "--db", planDb, "--categories", "raw/dsm",
                                      "--size", String(Double(bytes) / 1e6), "--json"])
        guard dryRun.status == 0 else { throw BenchError("tidemark delete (dry run) \(dryRun.outcome)") }

        // 2. Copies of exactly those files, plus a newest file per stream that stays.
        let base = root + "/data/"
        let relative = chosen.map { String(decoding: $0.path, as: UTF8.self).dropFirst(base.count) }
        let directories = Set(relative.map { ($0 as NSString).deletingLastPathComponent })
        let work = dir + "/policy-copies"
        // The kept file of each stream is dated yesterday: the newest real file (a future-dated
        // name is never counted as the newest), after every file of the tree.
        let keep = Self.yesterday()
        try? FileManager.default.removeItem(atPath: work)
        FileHandle.standardError.write(Data("writing two copies of \(chosen.count) files in \(work) (not measured) …\n".utf8))
        for copy in ["tidemark", "find"] {
            var tree = ExampleTree(root: work + "/" + copy + "/data")
            tree.tiny = true
            for r in relative { tree.write(String(r), []) }
            for d in directories.sorted() {
                // One newest file per DSM stream of the directory: kept by tidemark, spared by find's -name test.
                let dsms = Set(relative.filter { ($0 as NSString).deletingLastPathComponent == d }
                    .map { String(($0 as NSString).lastPathComponent.prefix { $0 != "_" }) })
                for dsm in dsms { tree.write("\(d)/\(dsm)_\(keep)_000000.dat", []) }
            }
        }
        let definitions = work + "/catalogs"
        try FileManager.default.createDirectory(atPath: definitions + "/bench", withIntermediateDirectories: true)
        try BenchTree.definition(root: work + "/tidemark/data").write(toFile: definitions + "/bench/archive.toml", atomically: true, encoding: .utf8)
        let copyFile = work + "/copy.sqlite"
        guard try Measure.run([bin, "scan", "bench/archive", "--catalogs", definitions, "--db", copyFile, "--quiet"]).status == 0 else {
            throw BenchError("the scan of the copy failed")
        }
        let copyDb = try postgres.map { try Self.copy(copyFile, into: "tidemark_bench_copy", beside: $0, bin: bin) } ?? copyFile
        sync()

        // 3. Execution, each on its own copy.
        let find = try Measure.run(["/usr/bin/find", work + "/find/data", "-type", "f", "!", "-name", "*_\(keep)_*", "-delete"])
        let delete = try Measure.run([bin, "delete", "--context", "bench/archive", "--db", copyDb, "--categories", "raw/dsm",
                                      "--before", "2099-01-01", "--yes", "--json"], outputFile: work + "/delete.json")
        let report = (try? JSONSerialization.jsonObject(with: delete.stdout)) as? [String: Any] ?? [:]
        let done = (report["results"] as? [String: Any])?["done"] as? Int ?? -1
        let leftByFind = Self.count(work + "/find/data")
        let leftByTidemark = Self.count(work + "/tidemark/data")

        print("""
            tidemark-bench policy: \(Format.count(built))-file tree, \(ProcessInfo.processInfo.activeProcessorCount) cores, \
            catalog \(postgres == nil ? "SQLite" : "PostgreSQL")
            plan: age-off of the oldest raw/dsm until \(Format.count(select)) files are chosen: \(Format.count(chosen.count)) chosen
              PolicyPlanner.plan (in process, median of \(planTimes.count))   \(Format.col(planSeconds)) s   goal ≤ 1 s
              tidemark delete … --json (dry run, whole process)   \(Format.col(dryRun.seconds)) s   peak \(Format.mb(dryRun.maxRSSBytes))
            execute, on copies of the same \(Format.count(chosen.count)) files:
              find -type f ! -name '*_\(keep)_*' -delete          \(Format.col(find.seconds)) s   1.00×   (\(Format.count(leftByFind)) files left)
              tidemark delete --yes (plan, journal, checks, JSON)  \(Format.col(delete.seconds)) s   \(Format.ratio(delete.seconds / find.seconds))   (\(Format.count(done)) removed, \(Format.count(leftByTidemark)) left)   goal ≤ 2×
              peak memory of tidemark delete --yes: \(Format.mb(delete.maxRSSBytes))
            """)
        if delete.status != 0 { throw BenchError("tidemark delete --yes \(delete.outcome)") }
        if find.status != 0 { throw BenchError("find -delete \(find.outcome)") }
        if done != chosen.count { throw BenchError("tidemark removed \(done) files, the plan had \(chosen.count)") }
    }

    /// The SQLite catalog `file` copied into a new database `name` on the server of `url`
    /// (dropped first if there); its URL.
    static func copy(_ file: String, into name: String, beside url: String, bin: String) throws -> String {
        guard let slash = url.range(of: "/", options: .backwards) else { throw BenchError("--postgres \(url): not a postgres:// URL") }
        for sql in ["DROP DATABASE IF EXISTS \(name) WITH (FORCE)", "CREATE DATABASE \(name)"] {
            guard try Measure.run(["/usr/bin/psql", url, "-qc", sql]).status == 0 else { throw BenchError("psql could not run: \(sql)") }
        }
        let target = String(url[..<slash.upperBound]) + name
        FileHandle.standardError.write(Data("copying \(file) into PostgreSQL database \(name) (not measured) …\n".utf8))
        guard try Measure.run([bin, "catalog", "copy", "--from", file, "--to", target]).status == 0 else {
            throw BenchError("tidemark catalog copy into \(name) failed")
        }
        return target
    }

    /// Yesterday's UTC date as `yyyyMMdd`.
    static func yesterday() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date().addingTimeInterval(-86_400))
    }

    static func count(_ path: String) -> Int {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".dat") }.count
    }
}
