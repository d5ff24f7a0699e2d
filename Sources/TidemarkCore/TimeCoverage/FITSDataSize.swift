import Foundation

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
        var at = 0
        while at + 80 <= headerEnd {
            let card = header[at..<(at + 80)]
            at += 80
            let key = card.prefix(8)
            if key.elementsEqual(endCard) { break }
            if key.elementsEqual(groupsCard) { return nil }  // random groups: cfitsio's sizing
            guard card.dropFirst(8).starts(with: valueIndicator) else { continue }
            if key.elementsEqual(bitpixCard) { bitpix = integer(card) ?? -1 }
            else if key.elementsEqual(naxisCard) { naxis = integer(card) ?? -1 }
            else if key.starts(with: naxisCard.prefix(5)), let n = axisNumber(key) { axes[n] = integer(card) ?? -1 }
        }
        guard let bitpix, [8, 16, 32, 64, -32, -64].contains(bitpix), let naxis, (0...999).contains(naxis) else { return nil }
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

    private static let endCard = Array("END     ".utf8)
    private static let groupsCard = Array("GROUPS  ".utf8)
    private static let bitpixCard = Array("BITPIX  ".utf8)
    private static let naxisCard = Array("NAXIS   ".utf8)
    private static let valueIndicator = Array("= ".utf8)

    /// n of an `NAXISn` keyword (1–999), else nil.
    private static func axisNumber(_ key: ArraySlice<UInt8>) -> Int64? {
        let digits = key.dropFirst(5).prefix { $0 != UInt8(ascii: " ") }
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ (48...57).contains($0) }),
              key.dropFirst(5 + digits.count).allSatisfy({ $0 == UInt8(ascii: " ") }) else { return nil }
        return Int64(String(decoding: digits, as: UTF8.self))
    }

    /// The integer value of a card (free or fixed format), up to a comment; nil otherwise.
    private static func integer(_ card: ArraySlice<UInt8>) -> Int64? {
        let value = card.dropFirst(10).prefix { $0 != UInt8(ascii: "/") }
        let text = String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text)
    }
}
