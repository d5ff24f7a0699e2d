import Foundation
import TidemarkCore

/// Bytes of small but genuine data files, so example trees read like real archives.
enum SampleFiles {
    /// A NIDAS raw archive: the ASCII header, then `samples` 16-byte sample headers with
    /// 4-byte payloads, time tags spread over the file's period.
    static func nidas(project: String, start: Instant, seconds: Int, samples: Int = 4) -> [UInt8] {
        var out = Array("""
            NIDAS (ncar.ucar.edu)
            archive version: 1
            software version: v1.2-1681
            project name: \(project)
            system name: ISFS
            config name: $ISFS/projects/\(project)/ISFS/config/\(project.lowercased()).xml
            config version: 1
            end header

            """.utf8)
        for i in 0..<samples {
            let tag = start.microseconds + Int64(i) * Int64(seconds) * 1_000_000 / Int64(max(1, samples))
            out += withUnsafeBytes(of: tag.littleEndian, Array.init)
            out += withUnsafeBytes(of: UInt32(4).littleEndian, Array.init)
            out += withUnsafeBytes(of: UInt32(0x8001 + i).littleEndian, Array.init)
            out += [0x41, 0x42, 0x43, 0x44]
        }
        return out
    }

    /// A FITS file holding one 2880-byte primary header (NAXIS = 0) with observation times.
    static func fits(dateObs: Instant, exposure: Double, extra: [(String, String)] = []) -> [UInt8] {
        var cards: [String] = []
        func card(_ key: String, _ value: String, _ comment: String = "") {
            var c = key.padding(toLength: 8, withPad: " ", startingAt: 0) + "= " + value.leftPadded(20)
            if !comment.isEmpty { c += " / " + comment }
            cards.append(c.padding(toLength: 80, withPad: " ", startingAt: 0))
        }
        card("SIMPLE", "T", "conforms to FITS standard")
        card("BITPIX", "8")
        card("NAXIS", "0")
        let iso = dateObs.iso8601.dropLast()  // FITS dates carry no Z
        card("DATE-OBS", "'\(iso)'", "start of exposure (UTC)")
        card("MJD-OBS", String(format: "%.8f", dateObs.secondsSince1970 / 86_400 + 40_587), "start of exposure (MJD)")
        card("EXPTIME", String(format: "%.3f", exposure), "exposure time (s)")
        card("TIMESYS", "'UTC'")
        for (k, v) in extra { card(k, v) }
        cards.append("END".padding(toLength: 80, withPad: " ", startingAt: 0))
        var bytes = Array(cards.joined().utf8)
        bytes += [UInt8](repeating: 0x20, count: (2880 - bytes.count % 2880) % 2880)
        return bytes
    }

    /// A classic (CDF-1) netCDF file with a `time` coordinate in seconds since 1970; ISFS
    /// writes interval midpoints and says the interval in `time:interval(sec)`.
    static func netcdf(times: [Double], title: String, interval: Double? = nil) -> [UInt8] {
        var b: [UInt8] = Array("CDF".utf8) + [1]
        func int(_ v: Int) { b += withUnsafeBytes(of: Int32(v).bigEndian, Array.init) }
        func name(_ s: String) {
            int(s.utf8.count); b += Array(s.utf8)
            b += [UInt8](repeating: 0, count: (4 - s.utf8.count % 4) % 4)
        }
        func textAttribute(_ n: String, _ v: String) {
            name(n); int(2)  // NC_CHAR
            int(v.utf8.count); b += Array(v.utf8)
            b += [UInt8](repeating: 0, count: (4 - v.utf8.count % 4) % 4)
        }
        int(0)                              // numrecs
        int(0x0A); int(1); name("time"); int(times.count)  // dimensions
        int(0x0C); int(1); textAttribute("title", title)   // global attributes
        int(0x0B); int(1)                   // variables
        name("time"); int(1); int(0)        // one dimension: time
        int(0x0C); int(interval == nil ? 2 : 3)
        textAttribute("units", "seconds since 1970-01-01 00:00:00 UTC")
        textAttribute("standard_name", "time")
        if let interval {
            name("interval(sec)"); int(6); int(1)  // NC_DOUBLE, one value
            b += withUnsafeBytes(of: interval.bitPattern.bigEndian, Array.init)
        }
        int(6)                              // NC_DOUBLE
        int(8 * times.count)                // vsize
        let beginOffset = b.count
        int(0)                              // begin, patched below
        let begin = b.count
        b.replaceSubrange(beginOffset..<beginOffset + 4, with: withUnsafeBytes(of: Int32(begin).bigEndian, Array.init))
        for t in times { b += withUnsafeBytes(of: t.bitPattern.bigEndian, Array.init) }
        return b
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
