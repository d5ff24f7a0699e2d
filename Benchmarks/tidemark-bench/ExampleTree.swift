import Foundation
import TidemarkCore

/// Builds archive trees in the ISFS and IPP layouts that `catalogs/` describes.
struct ExampleTree {
    let root: String
    private(set) var files = 0
    private(set) var bytes = 0
    /// Write 16 bytes instead of real contents: a metadata-bound tree for walk benchmarks.
    var tiny = false

    init(root: String) { self.root = root }

    mutating func write(_ relative: String, _ content: @autoclosure () -> [UInt8], mtime: Instant? = nil) {
        let content = tiny ? Array("tidemark-bench\n\n".utf8) : content()
        let path = root + "/" + relative
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 && errno == ENOENT {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            return write(relative, content, mtime: mtime)
        }
        precondition(fd >= 0, "cannot create \(path): \(String(cString: strerror(errno)))")
        _ = content.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, content.count) }
        if let mtime {
            let s = Int(mtime.microseconds / 1_000_000)
            var t = [timespec(tv_sec: s, tv_nsec: 0), timespec(tv_sec: s, tv_nsec: 0)]
            futimens(fd, &t)
        }
        close(fd)
        files += 1
        bytes += content.count
    }

    /// One ISFS project: raw data-system and per-DSM archives every 4 h (with one restart),
    /// merged archives, and daily netCDF in two kinds.
    mutating func isfsProject(_ base: String, project: String, start: Instant, days: Int, dsms: Int, samples: Int = 4) {
        let fourHours: Int64 = 14_400_000_000
        for d in 0..<days {
            for h in 0..<6 {
                var t = Instant(microseconds: start.microseconds + Int64(d * 6 + h) * fourHours)
                // On day 1 the data system restarted at 09:12:34: that file carries the exact time.
                if d == 1 && h == 2 { t = Instant(microseconds: t.microseconds + (72 * 60 + 34) * 1_000_000) }
                let stamp = Self.stamp(t)
                write("\(base)/raw_data/isfs_\(stamp).dat", SampleFiles.nidas(project: project, start: t, seconds: 14_400, samples: samples))
                for k in 1...dsms {
                    write("\(base)/raw_data/tse\(String(format: "%02d", k))_\(stamp).dat", SampleFiles.nidas(project: project, start: t, seconds: 14_400, samples: samples))
                }
                write("\(base)/merge/isfs_\(stamp).dat", SampleFiles.nidas(project: project, start: t, seconds: 14_400, samples: samples))
            }
            let day = Instant(microseconds: start.microseconds + Int64(d) * 86_400_000_000)
            let ymd = String(Self.stamp(day).prefix(8))
            for (kind, step) in [("5min", 300.0), ("hr", 3600.0)] {
                // ISFS time values are interval midpoints.
                let times = stride(from: step / 2, to: 86_400, by: step).map { day.secondsSince1970 + $0 }
                write("\(base)/netcdf/\(kind)/isfs_\(ymd).nc", SampleFiles.netcdf(times: times, title: "\(project) \(kind) averages", interval: step))
            }
        }
    }

    /// An IPP tree: mini-DVO databases (directories), postage-stamp request outputs, and
    /// chip/warp/diff FITS products.
    mutating func ipp(_ base: String, start: Instant, groups: Int, dbsPerGroup: Int, tablesPerDb: Int,
                      requests: Int, stampsPerRequest: Int, exposures: Int, chipsPerExposure: Int) {
        for g in 0..<groups {
            for db in 0..<dbsPerGroup {
                let t = Instant(microseconds: start.microseconds + Int64(g * dbsPerGroup + db) * 3_600_000_000)
                for k in 0..<tablesPerDb {
                    let kind = ["cpt", "cps", "cpm"][k % 3]
                    write("\(base)/minidvodbs/group\(g)/db\(String(format: "%04d", db))/n\(String(format: "%04d", k / 3)).\(kind)",
                          SampleFiles.fits(dateObs: t, exposure: 45), mtime: t)
                }
            }
        }
        for r in 0..<requests {
            let t = Instant(microseconds: start.microseconds + Int64(r) * 600_000_000)
            let day = String(Self.stamp(t).prefix(8))
            for s in 0..<stampsPerRequest {
                write("\(base)/pstamp/work/\(day)/req\(String(format: "%06d", r))/stamp\(s).fits",
                      SampleFiles.fits(dateObs: Instant(microseconds: t.microseconds + Int64(s) * 40_000_000), exposure: 40))
            }
            write("\(base)/pstamp/work/\(day)/req\(String(format: "%06d", r))/results.mdc", Array("request \(r) done\n".utf8))
        }
        for e in 0..<exposures {
            let t = Instant(microseconds: start.microseconds + Int64(e) * 45_000_000)
            let night = String(Self.stamp(t).prefix(8))
            let exp = "o\(night.suffix(4))g\(String(format: "%04d", e))o"
            for c in 0..<chipsPerExposure {
                let product = ["chip", "warp", "diff"][c % 3]
                let file = switch product {
                case "chip": "\(exp).XY\(String(format: "%02d", c)).ch.fits"
                case "warp": "\(exp).wrp.\(String(format: "%04d", c)).fits"
                default: "\(exp).dif.\(String(format: "%04d", c)).fits"
                }
                write("\(base)/\(product)/\(night)/\(exp)/\(file)", SampleFiles.fits(dateObs: t, exposure: 45))
            }
        }
    }

    static func stamp(_ t: Instant) -> String {
        let c = t.civil
        return String(format: "%04d%02d%02d_%02d%02d%02d", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }
}
