/// Names what a file's first bytes look like, for errors such as "not a FITS file: it
/// starts with an HTML page".
enum FileKind {
    static func describe(_ b: [UInt8]) -> String {
        func starts(_ m: [UInt8]) -> Bool { b.starts(with: m) }
        func startsText(_ s: String) -> Bool {
            let lower = b.prefix(64).map { $0 >= 0x41 && $0 <= 0x5a ? $0 + 0x20 : $0 }
            let trimmed = lower.drop { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 || $0 == 0xef || $0 == 0xbb || $0 == 0xbf }
            return trimmed.starts(with: Array(s.utf8))
        }
        if b.isEmpty { return "nothing (empty)" }
        if startsText("<!doctype html") || startsText("<html") || startsText("<head") { return "an HTML page" }
        if startsText("<?xml") { return "XML text" }
        if starts([0x00, 0x05, 0x16, 0x07]) { return "macOS AppleDouble metadata (00 05 16 07)" }
        if starts([0xaa, 0xaa, 0x55, 0x55]) || starts([0x55, 0x55, 0xaa, 0xaa]) { return "an ANA-compressed image (aa aa 55 55)" }
        if starts([0xcd, 0xf3, 0x00, 0x01]) || starts([0x00, 0x00, 0xff, 0xff]) { return "a NASA CDF file (cd f3 00 01)" }
        if starts(Array("CDF".utf8)) && b.count >= 4 && [1, 2, 5].contains(b[3]) { return "netCDF classic (CDF \(b[3]))" }
        if starts([0x89, 0x48, 0x44, 0x46]) { return "HDF5 (netCDF-4)" }
        if starts(Array("NIDAS (ncar.ucar.edu)".utf8)) || starts(Array("NCAR ADS3".utf8)) { return "a NIDAS archive header" }
        if starts(Array("BZh".utf8)) { return "bzip2 data" }
        if starts([0x1f, 0x8b]) { return "gzip data" }
        if starts([0x1f, 0x9d]) { return "Unix compress (.Z) data" }
        if starts([0x50, 0x4b, 0x03, 0x04]) { return "a zip archive" }
        if starts(Array("SIMPLE  =".utf8)) { return "a FITS header ('SIMPLE  =')" }
        if starts(Array("SIMPLE".utf8)) { return "'SIMPLE' without '  =' in columns 7-9" }
        let sample = b.prefix(24)
        if sample.allSatisfy({ ($0 >= 0x20 && $0 < 0x7f) || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            let text = String(decoding: sample.map { $0 < 0x20 ? 0x20 : $0 }, as: UTF8.self)
            return "text '\(text)'"
        }
        return "bytes " + b.prefix(8).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
    }
}
