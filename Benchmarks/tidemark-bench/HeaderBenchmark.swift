import ArgumentParser
import Foundation
import TidemarkCore

/// `tidemark-bench headers`: scans that read FITS and netCDF headers, against the I/O floor.
struct HeaderBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headers",
        abstract: "Time scans that read FITS, classic netCDF and netCDF-4 headers against a raw read of each file's first 2880 bytes.",
        discussion: """
            The tree (FITS files with real 2880-byte headers, classic netCDF files, netCDF-4 files \
            made by ncgen from netcdf-bin) is built once in --dir and reused.
            """)

    @Option(help: "FITS files.") var fits = 50_000
    @Option(help: "Classic netCDF files.") var classic = 5_000
    @Option(help: "netCDF-4 files.") var netcdf4 = 2_000
    @OptionGroup var places: BenchPlaces
    @Option(help: "Runs of each scan; the median is kept.") var repeats = 3

    func run() throws {
        let dir = places.dir
        let root = dir + "/headers-\(fits)-\(classic)-\(netcdf4)"
        try HeaderTree.ensure(root: root, fits: fits, classic: classic, netcdf4: netcdf4)
        let bin = places.binary
        let kinds = [("fits", fits), ("nc3", classic), ("nc4", netcdf4)]

        // Warm the page cache, then the floor: open + 2880-byte pread + close, one thread,
        // the median of `repeats` passes (the machine may be shared).
        for (kind, _) in kinds { _ = try Self.rawRead(root + "/data/" + kind) }
        var floors: [String: Double] = [:]
        var floorRanges: [String: ClosedRange<Double>] = [:]
        for (kind, n) in kinds {
            let rates = try (0..<max(1, repeats)).map { _ in Double(n) / (try Self.rawRead(root + "/data/" + kind)) }.sorted()
            floors[kind] = rates[rates.count / 2]
            floorRanges[kind] = rates.first!...rates.last!
        }
        // The readers alone, in process, on both cores: header bytes to coverage.
        var readerRates: [String: Double] = [:]
        for (kind, n) in kinds {
            let paths = try FileManager.default.subpathsOfDirectory(atPath: root + "/data/" + kind)
                .filter { $0.hasSuffix(".fits") || $0.hasSuffix(".nc") }.map { Array((root + "/data/" + kind + "/" + $0).utf8) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let results = CoverageResolver.standard.readHeaders(paths, threads: 2)
            readerRates[kind] = Double(n) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            let failures = results.filter { $0.resolved.coverage == nil }.count
            guard failures == 0 else { throw BenchError("\(failures) \(kind) files gave no coverage") }
        }
        var rows: [(String, Int, Measured)] = []
        var fitsPhases: Any?
        for (kind, n) in kinds + [("mixed", fits + classic + netcdf4)] {
            let db = dir + "/headers-\(kind).sqlite"
            let m = try Measure.median(repeats, [bin, "scan", "bench/headers-\(kind)", "--catalogs", root + "/catalogs", "--db", db, "--json"],
                                       outputFile: dir + "/headers-\(kind).json") {
                for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + s) }
            }
            if kind == "fits" { fitsPhases = (try? JSONSerialization.jsonObject(with: m.stdout) as? [String: Any])?["phases"] }
            let check = try SQLiteCatalog(path: db, create: false, readOnly: true).report(ReportQuery())
            let sources = check.reduce(0) { $0 + $1.files }
            guard sources == n else { throw BenchError("the \(kind) scan catalogued \(sources) files, expected \(n)") }
            rows.append((kind, n, m))
        }
        let fitsRate = Double(fits) / rows[0].2.seconds
        let fitsFloor = floors["fits"]!
        print("""
            tidemark-bench headers: \(Format.count(fits)) FITS, \(Format.count(classic)) classic netCDF, \(Format.count(netcdf4)) netCDF-4 files, \(ProcessInfo.processInfo.activeProcessorCount) cores, median and range of \(repeats) runs
            I/O floor (open + 2880-byte read + close, one thread): FITS \(Format.count(Int(fitsFloor))) files/s (\(Format.count(Int(floorRanges["fits"]!.lowerBound)))–\(Format.count(Int(floorRanges["fits"]!.upperBound)))), classic \(Format.count(Int(floors["nc3"]!))) files/s, netCDF-4 \(Format.count(Int(floors["nc4"]!))) files/s
            header readers in process, two threads: FITS \(Format.count(Int(readerRates["fits"]!))) files/s (\(String(format: "%.0f", readerRates["fits"]! / fitsFloor * 100)) % of the floor), classic \(Format.count(Int(readerRates["nc3"]!))) files/s, netCDF-4 \(Format.count(Int(readerRates["nc4"]!))) files/s
            scan reading headers (whole command, fresh catalog)   seconds  range          files/s    CPU-s   cores busy
            """)
        for (kind, n, m) in rows {
            print("  \(kind.padding(toLength: 6, withPad: " ", startingAt: 0))  \(Format.count(n).padding(toLength: 7, withPad: " ", startingAt: 0)) files            \(Format.col(m.seconds))  \(Format.range(m.range))    \(Format.count(Int(Double(n) / m.seconds)).padding(toLength: 9, withPad: " ", startingAt: 0))  \(Format.col(m.cpuSeconds))  \(String(format: "%.2f", m.coresBusy))")
        }
        let fitsRange = rows[0].2.range
        print("phases of the median FITS scan: \(Format.phases(fitsPhases))")
        print(String(format: "whole FITS scan (walk, read, catalog) at %.0f %% (%.0f–%.0f %%) of the single-thread I/O floor; goals: FITS headers ≥ 40 %% of the floor, classic netCDF ≥ 20,000/s, netCDF-4 ≥ 1,500/s, both cores busy in a mixed scan",
                     fitsRate / fitsFloor * 100, Double(fits) / fitsRange.upperBound / fitsFloor * 100, Double(fits) / fitsRange.lowerBound / fitsFloor * 100))
    }

    /// Seconds to open, read the first 2880 bytes of, and close every file below `dir`.
    static func rawRead(_ dir: String) throws -> Double {
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { $0.hasSuffix(".fits") || $0.hasSuffix(".nc") }.map { dir + "/" + $0 }
        var buffer = [UInt8](repeating: 0, count: 2880)
        let t0 = DispatchTime.now().uptimeNanoseconds
        for f in files {
            let fd = open(f, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                _ = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 2880, 0) }
                close(fd)
            }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }
}

/// FITS, classic and netCDF-4 files with real headers and times, and one context each.
enum HeaderTree {
    static func ensure(root: String, fits: Int, classic: Int, netcdf4: Int) throws {
        let marker = root + "/.complete"
        if FileManager.default.fileExists(atPath: marker) { return }
        FileHandle.standardError.write(Data("building the header tree in \(root) (once) …\n".utf8))
        try? FileManager.default.removeItem(atPath: root)
        var tree = ExampleTree(root: root + "/data")
        let start = Instant(year: 2016, month: 3, day: 1)!
        for i in 0..<fits {
            let t = Instant(microseconds: start.microseconds + Int64(i) * 40_000_000)
            tree.write("fits/d\(String(format: "%03d", i / 500))/exp\(String(format: "%06d", i)).fits",
                       SampleFiles.fits(dateObs: t, exposure: 30, extra: [("OBSERVAT", "'Haleakala'"), ("TELESCOP", "'PS1'")]))
        }
        for i in 0..<classic {
            let day = start.secondsSince1970 + Double(i) * 86_400
            let times = stride(from: 150.0, to: 86_400, by: 300).map { day + $0 }
            tree.write("nc3/d\(String(format: "%02d", i / 500))/isfs_\(String(format: "%05d", i)).nc",
                       SampleFiles.netcdf(times: times, title: "bench", interval: 300))
        }
        // netCDF-4 through ncgen: a few distinct files, copied to the count wanted.
        let distinct = min(netcdf4, 20)
        let work = root + "/cdl"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        for k in 0..<netcdf4 {
            let dirPath = root + "/data/nc4/d\(String(format: "%02d", k / 500))"
            try FileManager.default.createDirectory(atPath: dirPath, withIntermediateDirectories: true)
            let target = dirPath + "/radar_\(String(format: "%05d", k)).nc"
            if k < distinct {
                let base = Int(start.secondsSince1970) + k * 3600
                let cdl = """
                    netcdf radar {
                    dimensions:
                      time = 40 ;
                    variables:
                      double time(time) ;
                        time:units = "seconds since 1970-01-01T00:00:00Z" ;
                        time:standard_name = "time" ;
                        time:calendar = "gregorian" ;
                      float reflectivity(time) ;
                    // global attributes:
                      :title = "bench netCDF-4" ;
                    data:
                      time = \((0..<40).map { String(base + $0 * 30) }.joined(separator: ", ")) ;
                      reflectivity = \((0..<40).map { _ in "1.5" }.joined(separator: ", ")) ;
                    }
                    """
                try cdl.write(toFile: work + "/\(k).cdl", atomically: true, encoding: .utf8)
                let m = try Measure.run(["/usr/bin/ncgen", "-k", "nc4", "-o", target, work + "/\(k).cdl"])
                guard m.status == 0 else { throw BenchError("ncgen \(m.outcome) (install netcdf-bin)") }
            } else {
                let source = root + "/data/nc4/d00/radar_\(String(format: "%05d", k % distinct)).nc"
                try FileManager.default.copyItem(atPath: source, toPath: target)
            }
        }
        try FileManager.default.createDirectory(atPath: root + "/catalogs/bench", withIntermediateDirectories: true)
        for (kind, source, sub) in [("fits", "fits", "fits"), ("nc3", "netcdf", "nc3"), ("nc4", "netcdf", "nc4")] {
            try """
                roots = ["\(root)/data/\(sub)"]
                [[rule]]
                match = "**/*"
                category = "\(kind)"
                time = ["\(source)"]
                """.write(toFile: root + "/catalogs/bench/headers-\(kind).toml", atomically: true, encoding: .utf8)
        }
        try """
            roots = ["\(root)/data"]
            [[rule]]
            match = "**/*"
            category = "mixed"
            time = ["header"]
            """.write(toFile: root + "/catalogs/bench/headers-mixed.toml", atomically: true, encoding: .utf8)
        try Data().write(to: URL(fileURLWithPath: marker))
    }
}
