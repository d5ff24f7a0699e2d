import ArgumentParser
import Foundation
import TidemarkCore

/// `tidemark-bench postgres --scan`: a first scan and an unchanged rescan of the scan
/// benchmark's tree into a PostgreSQL catalog, against `find`, in the same run.
struct PostgresScanMeasurement {
    /// Files in the tree.
    var files: Int
    var places: BenchPlaces
    /// Runs of each measurement; the median is kept.
    var repeats: Int
    /// A postgres:// URL of a server whose user may create databases.
    var server: String?

    func run() throws {
        guard let server = server ?? ProcessInfo.processInfo.environment["TIDEMARK_TEST_POSTGRES"], !server.isEmpty else {
            throw ValidationError("name a server with --server postgres://USER:PASSWORD@HOST:PORT/DB, or run under scripts/test-postgres")
        }
        let root = places.dir + "/tree-\(files)"
        let built = try BenchTree.ensure(root: root, files: files)
        guard let slash = server.range(of: "/", options: .backwards) else { throw ValidationError("--server: not a postgres:// URL") }
        let url = String(server[..<slash.upperBound]) + "tidemark_bench_scan"
        let scan = [places.binary, "scan", "bench/archive", "--catalogs", root + "/catalogs", "--db", url, "--json"]
        func freshDatabase() throws {
            try Self.psql(server, "DROP DATABASE IF EXISTS tidemark_bench_scan")
            try Self.psql(server, "CREATE DATABASE tidemark_bench_scan")
        }

        FileHandle.standardError.write(Data("warming the cache with find …\n".utf8))
        let findArgs = ["/usr/bin/find", root, "-type", "f", "-printf", "%s %T@ %p\n"]
        _ = try Measure.run(findArgs)
        let find = try Measure.median(repeats, findArgs)
        let first = try Measure.median(repeats, scan, outputFile: places.dir + "/pg-scan-first.json", before: freshDatabase)
        let rescan = try Measure.median(repeats, scan, outputFile: places.dir + "/pg-scan-rescan.json")
        // The server's floor: PostgreSQL's own COPY of the same rows (binary, from psql),
        // alone, into an empty table with the files table's indexes: no walk, no lookups, no
        // finish, nothing else on the cores.
        let rows = places.dir + "/pg-scan-files.copy"
        let columns = #"dir_id, name, size, mtime, inode, device, stream_id, dataset_id, start, "end", source, error, notes, ctime"#
        try Self.psql(url, "\\copy (SELECT \(columns) FROM files ORDER BY id) TO '\(rows)' WITH (FORMAT binary)")
        defer { try? FileManager.default.removeItem(atPath: rows) }
        let floor = try Measure.median(
            repeats, ["/usr/bin/psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", "\\copy files_floor (\(columns)) FROM '\(rows)' WITH (FORMAT binary)"],
            before: {
                try Self.psql(url, "DROP TABLE IF EXISTS files_floor")
                try Self.psql(url, "CREATE TABLE files_floor (LIKE files INCLUDING ALL)")
            })
        try Self.psql(url, "DROP TABLE files_floor")
        let firstReport = try JSONSerialization.jsonObject(with: first.stdout) as? [String: Any] ?? [:]
        let report = try JSONSerialization.jsonObject(with: rescan.stdout) as? [String: Any] ?? [:]
        let seen = report["files"] as? Int ?? -1
        func row(_ label: String, _ m: Measured) -> String {
            label.padding(toLength: 36, withPad: " ", startingAt: 0)
                + "\(Format.col(m.seconds))  \(Format.range(m.range))   \(Format.ratio(m.seconds / find.seconds))   "
                + "\(Format.col(m.cpuSeconds))   \(Format.mb(m.maxRSSBytes))"
        }
        print("""
            tidemark-bench postgres --scan: \(Format.count(built)) files (\(Format.count(seen)) seen by the scan), \
            \(ProcessInfo.processInfo.activeProcessorCount) cores, median and range of \(repeats) runs
            measurement                          seconds  range          vs find   CPU-s   peak RSS (tidemark only)
            \(row("find -type f -printf '%s %T@ %p\\n'", find))
            \(row("tidemark scan, empty catalog", first))
            \(row("tidemark scan, unchanged tree", rescan))
            \("server floor: COPY of those rows".padding(toLength: 36, withPad: " ", startingAt: 0))\(Format.col(floor.seconds))  \
            \(Format.range(floor.range))   \(Format.ratio(floor.seconds / find.seconds))   (psql alone into the indexed table)
            phases of the median first scan: \(Format.phases(firstReport["phases"]))
            phases of the median rescan:     \(Format.phases(report["phases"]))
            goals: first scan ≤ 2.5× find, unchanged rescan ≤ 1.5× find; the floor is what the server \
            alone takes to index the first scan's rows
            """)
        if seen != built { throw BenchError("the scan saw \(seen) files, the tree has \(built)") }
        try Self.psql(server, "DROP DATABASE IF EXISTS tidemark_bench_scan")
    }

    /// Runs one statement with psql.
    static func psql(_ url: String, _ sql: String) throws {
        let m = try Measure.run(["/usr/bin/psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        guard m.status == 0 else { throw BenchError("psql \(sql): \(m.outcome)") }
    }
}
