/// Where a primary HDU's data ends, from its mandatory cards alone (FITS 4.0 §4.4.1):
/// `|BITPIX| / 8 × NAXIS1 × … × NAXISn` bytes after the header, padded to 2880-byte blocks.
///
/// The scan's common FITS file is one primary HDU; knowing where it ends without opening
/// it in cfitsio (whose every open allocates and parses the whole header) is what lets a
/// header scan stay near the I/O floor. Anything unusual — random groups, a missing or
/// malformed mandatory card, a size that overflows — gives nil, and cfitsio decides.
enum FITSDataSize {
    /// The byte offset where the data of the primary header in `header` ends, for a
    /// header that ends (with its END block) at `headerEnd`.
    static func primaryDataEnd(_ header: [UInt8], headerEnd: Int) -> Int64? {
        var bitpix: Int64?, naxis: Int64?
        var axes: [Int64: Int64] = [:]
        var randomGroups = false
        var at = 0
        let end = min(headerEnd, header.count)
        header.withUnsafeBytes { bytes in
            // Keys as 8-byte words (exact bytes): a card costs one load and a few compares.
            while at + 80 <= end {
                let key = bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                let card = UnsafeRawBufferPointer(rebasing: bytes[at..<(at + 80)])
                at += 80
                if key == endWord { break }
                if key == groupsWord { randomGroups = true; break }  // random groups: cfitsio's sizing
                guard bytes[at - 72] == 0x3d, bytes[at - 71] == 0x20 else { continue }  // "= " in columns 9-10
                if key == bitpixWord { bitpix = integer(card) ?? -1 }
                else if key == naxisWord { naxis = integer(card) ?? -1 }
                else if key & naxisPrefixMask == naxisPrefix, let n = axisNumber(card) { axes[n] = integer(card) ?? -1 }
            }
        }
        guard !randomGroups, let bitpix, [8, 16, 32, 64, -32, -64].contains(bitpix), let naxis, (0...999).contains(naxis) else { return nil }
        var bytes: Int64 = naxis == 0 ? 0 : abs(bitpix) / 8
        for n in stride(from: Int64(1), through: naxis, by: 1) {
            guard let length = axes[n], length >= 0 else { return nil }
            let (product, overflow) = bytes.multipliedReportingOverflow(by: length)
            if overflow { return nil }
            bytes = product
        }
        let (padded, overflow) = bytes.addingReportingOverflow(2879)
        if overflow { return nil }
        return Int64(headerEnd) + padded / 2880 * 2880
    }

    /// The first 8 bytes of `text`, blank-padded, loaded as `loadUnaligned` loads a card's key.
    private static func word(_ text: String) -> UInt64 {
        Array((text + "        ").utf8.prefix(8)).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }

    private static let endWord = word("END")
    private static let groupsWord = word("GROUPS")
    private static let bitpixWord = word("BITPIX")
    private static let naxisWord = word("NAXIS")
    /// The bytes "NAXIS" of a key, whatever follows.
    private static let naxisPrefix = word("NAXIS") & naxisPrefixMask
    private static let naxisPrefixMask: UInt64 = Array<UInt8>([0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0]).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }

    /// n of an `NAXISn` keyword (1–999) opening `card`, else nil.
    private static func axisNumber(_ card: UnsafeRawBufferPointer) -> Int64? {
        let key = card.prefix(8)
        let digits = key.dropFirst(5).prefix { $0 != UInt8(ascii: " ") }
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ (48...57).contains($0) }),
              key.dropFirst(5 + digits.count).allSatisfy({ $0 == UInt8(ascii: " ") }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int64($1 - 48) }
    }

    /// The integer value of a card (free or fixed format), up to a comment; nil otherwise.
    /// Bytes only: this runs for every mandatory card of every file a scan reads. Blanks
    /// (space, tab) around the digits, one sign; anything else is left to cfitsio.
    private static func integer(_ card: UnsafeRawBufferPointer) -> Int64? {
        var i = 10
        let end = card.count
        func blank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        while i < end, blank(card[i]) { i += 1 }
        var negative = false
        if i < end, card[i] == UInt8(ascii: "+") || card[i] == UInt8(ascii: "-") {
            negative = card[i] == UInt8(ascii: "-")
            i += 1
        }
        var value: Int64 = 0
        var digits = 0
        while i < end, card[i] >= 0x30, card[i] <= 0x39 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(card[i] - 0x30))
            if o1 || o2 { return nil }
            value = sum
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        while i < end, blank(card[i]) { i += 1 }
        guard i == end || card[i] == UInt8(ascii: "/") else { return nil }
        return negative ? -value : value
    }
}
