import Testing
import TestSupport
@testable import TidemarkCore

/// Card values as the time keywords read them. The byte-level paths must answer as the
/// plain ones they stand in for: plain decimals as `Double(_:)` (strtod) to the bit, blanks
/// trimmed as by Characters, exposure units as by a search of each word.
@Suite struct FITSValueTests {
    static func reference(_ text: String) -> Double? {
        Double(text).flatMap { $0.isFinite ? $0 : nil }
    }

    static func fast(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBufferPointer { FITSTimeKeywords.exactDecimal($0) }
    }

    @Test(arguments: ["5", "5.", ".5", "+5", "-0", "-0.0", "0.1", "57448.00000000", "57448.99999999", "123456789012345",
                      "0.000000000000000000001", "-999999999999999", "30.000", "0000000000000000000012.5"])
    func plainDecimalsAgreeWithStrtod(_ text: String) {
        let fast = Self.fast(text)
        #expect(fast != nil, "\(text) should take the fast path")
        #expect(fast?.bitPattern == Self.reference(text)?.bitPattern, "\(text)")
    }

    @Test(arguments: ["1234567890123456", "1e5", "1E5", "0x1p3", "inf", "nan", "1.2.3", "-", ".", "", "1-2", "0.00000000000000000000001"])
    func othersAreLeftToStrtod(_ text: String) {
        #expect(Self.fast(text) == nil, "\(text)")
    }

    /// Random decimals of up to 15 digits, the point anywhere: bit for bit as strtod reads them.
    @Test func randomDecimalsAgreeWithStrtod() {
        var rng = SplitMix(seed: 0x4649_5453)
        for _ in 0..<200_000 {
            let n = Int.random(in: 1...15, using: &rng)
            var digits = (0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }
            if Bool.random(using: &rng) { digits.insert(".", at: Int.random(in: 0...n, using: &rng)) }
            let text = (Bool.random(using: &rng) ? "-" : "") + String(digits)
            guard let fast = Self.fast(text) else { continue }
            #expect(fast.bitPattern == Self.reference(text)?.bitPattern, "\(text)")
        }
    }

    /// Through the card reader: quotes, blanks and a Fortran D exponent as before.
    @Test func cardValues() {
        #expect(FITSTimeKeywords.number("  57448.5   ") == 57448.5)
        #expect(FITSTimeKeywords.number("'30.0'") == 30)
        #expect(FITSTimeKeywords.number("5.88495D+04") == 58849.5)
        #expect(FITSTimeKeywords.number("1 2") == nil)
        #expect(FITSTimeKeywords.number("") == nil)
    }

    /// Exposure comments: the unit first in `unitWords`' order that is named anywhere.
    @Test func durationUnitsAsBySearch() {
        func reference(_ comment: String) -> Double? {
            if comment.isEmpty { return 1 }
            let c = Array(comment.lowercased().utf8)
            for (words, seconds) in FITSTimeKeywords.unitWords
            where words.contains(where: { w in c.count >= w.count && (0...(c.count - w.count)).contains { c[$0..<($0 + w.count)].elementsEqual(w) } }) {
                return seconds
            }
            return 1
        }
        for comment in ["", "exposure time (s)", "Exposure time MINUTES", "[h] hours then minutes", "(ms)", "[MIN]", "millisec or hour",
                        "mhm[(", "exposure (min", "integration in millisecond", "h", "HOUR"] {
            #expect(FITSTimeKeywords.durationUnit(comment: comment) == reference(comment), "\(comment)")
        }
        var rng = SplitMix(seed: 0x554e_4954)
        let alphabet = Array("minutehourslc[]() MINH".utf8)
        for _ in 0..<50_000 {
            let text = String(decoding: (0..<Int.random(in: 0...14, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
            #expect(FITSTimeKeywords.durationUnit(comment: text) == reference(text), "\(text)")
        }
    }

    /// Blanks (space, tab, NUL) trimmed from both ends, as Characters would be.
    @Test func trimmingBlanksAsByCharacters() {
        func reference(_ text: String) -> String {
            var s = Substring(text)
            while let c = s.first, c == " " || c == "\t" || c == "\0" { s.removeFirst() }
            while let c = s.last, c == " " || c == "\t" || c == "\0" { s.removeLast() }
            return String(s)
        }
        for text in ["", " ", "\t\0 UTC \0", "UTC", " \u{301}x ", "x \u{301}", "\r\n", " é ", "a b"] {
            #expect(text.trimmingBlanks == reference(text), "\(text.debugDescription)")
        }
        var rng = SplitMix(seed: 0x5452_494d)
        let pieces = [" ", "\t", "\0", "a", "Z", "\u{301}", "é", "\r\n", "\n"]
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            #expect(text.trimmingBlanks == reference(text), "\(text.debugDescription)")
        }
    }

    /// Card keys as 8-byte words: lower case folded to upper and NUL to blank, byte by byte,
    /// whichever path (one load, or the loop) a key takes.
    @Test func keywordWordsFoldAsCfitsio() {
        func reference(_ b: [UInt8]) -> UInt64 {
            b.reduce(0) { w, c in w << 8 | UInt64(c == 0 ? 0x20 : (0x61...0x7a).contains(c) ? c - 0x20 : c) }
        }
        var rng = SplitMix(seed: 0x574f_5244)
        let bytes: [UInt8] = Array("DATE-OBS_ 0az{`~".utf8) + [0, 0x7f, 0x80, 0xc3, 0xe0, 0xff, 0x40, 0x5f]
        for _ in 0..<100_000 {
            let key = (0..<8).map { _ in bytes.randomElement(using: &rng)! }
            #expect(key.withUnsafeBytes { FITSKeywordSet.word($0) } == reference(key), "\(key)")
        }
        #expect(FITSKeywordSet.word(ofKey: "MJD-OBS") == FITSKeywordSet.word(of: "mjd-obs"))
    }
}
