/// Looks at an extension's raw header before cfitsio moves to it, for values known to
/// crash cfitsio 4.2 rather than fail. Both were found by fuzzing (Fuzz/README.md):
/// - a tile-compressed image (`ZIMAGE = T`) whose `ZTILEn` (or `ZNAXIS1`, its default) is
///   zero makes `imcomp_get_compressed_image_par` divide by zero (SIGFPE);
/// - a `TTYPEn` whose value is an unquoted 70-character token makes `ffgtbp` strcpy 71
///   bytes into a 70-byte column name (glibc's fortify check aborts).
enum FITSHeaderGuard {
    /// Why cfitsio must not open the header at an HDU's start; nil when it looks safe.
    /// `read(n)` gives up to n bytes from there: 2 blocks first, more if END is not in them.
    static func danger(read: (Int) -> [UInt8]) -> String? {
        var bytes = read(2880 * 2)
        if bytes.count == 2880 * 2, !hasEnd(bytes) { bytes = read(2880 * 400) }
        return danger(in: bytes)
    }

    static func hasEnd(_ bytes: [UInt8]) -> Bool { headerEnd(bytes) != nil }

    static let endCard: [UInt8] = Array("END     ".utf8)

    /// Where the header in `bytes` ends: the end of the 2880-byte block holding its END card.
    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { b in
            var at = 0
            while at + 80 <= b.count {
                // One 8-byte compare per card: this runs on every FITS file a scan reads.
                if b.loadUnaligned(fromByteOffset: at, as: UInt64.self) == endWord {
                    let end = (at + 80 + 2879) / 2880 * 2880
                    return end <= b.count ? end : nil
                }
                at += 80
            }
            return nil
        }
    }

    private static let endWord = endCard.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }

    /// Why cfitsio must not open the header in `bytes` (whole 2880-byte blocks from an
    /// HDU's start); nil when it looks safe.
    static func danger(in bytes: [UInt8]) -> String? {
        var values: [String: String] = [:]
        var at = 0
        while at + 80 <= bytes.count {
            let card = bytes[at..<(at + 80)]
            at += 80
            let key = String(decoding: card.prefix(8), as: UTF8.self).trimmingBlanks
            if key == "END" { break }
            // cfitsio takes '=' in column 9 as a value even without the blank after it.
            guard card.dropFirst(8).first == UInt8(ascii: "=") else { continue }
            if key.hasPrefix("TTYPE") {
                // ffpsvc ends an unquoted value at a blank or slash; 70 bytes of neither overflow.
                let value = card.dropFirst(9).drop { $0 == 0x20 }
                if value.first != UInt8(ascii: "'"), value.prefix(while: { $0 != 0x20 && $0 != UInt8(ascii: "/") }).count >= 69 {
                    return "\(key) has an unquoted value of 70 characters (cfitsio 4.2 would overflow a column name)"
                }
                continue
            }
            guard key.hasPrefix("Z"), values[key] == nil else { continue }
            let field = card.dropFirst(9).prefix { $0 != UInt8(ascii: "/") }
            values[key] = String(decoding: field, as: UTF8.self).trimmingBlanks
        }
        // cfitsio reads ZIMAGE more loosely than a clean `T`: anything but F counts here.
        guard let zimage = values["ZIMAGE"], !zimage.hasPrefix("F") else { return nil }
        guard let axes = Int(values["ZNAXIS"] ?? ""), (1...6).contains(axes) else {
            return "the tile-compressed image header has ZNAXIS = '\(values["ZNAXIS"] ?? "")' (cfitsio 4.2 may divide by zero)"
        }
        for n in 1...axes {
            // cfitsio's default tile is the whole first axis, then single rows.
            for key in ["ZNAXIS\(n)"] + (values["ZTILE\(n)"] != nil ? ["ZTILE\(n)"] : []) {
                guard let v = Int(values[key] ?? ""), v > 0 else {
                    return "the tile-compressed image header has \(key) = '\(values[key] ?? "")', not a positive size (cfitsio 4.2 would divide by zero)"
                }
            }
        }
        return nil
    }
}
