import Foundation
import Testing
@testable import TidemarkCore

/// The end of a FITS exposure given as a date and a separate time of day, read through
/// cfitsio from a file written here.
@Suite struct FITSEndTimeTests {
    /// A primary header with no data: `cards` between the mandatory ones and END.
    static func fits(_ cards: [(String, String)]) -> [UInt8] {
        func card(_ key: String, _ value: String) -> String {
            let k = key.padding(toLength: 8, withPad: " ", startingAt: 0)
            return (k + "= " + value).padding(toLength: 80, withPad: " ", startingAt: 0)
        }
        var text = card("SIMPLE", "T".leftPadded(20)) + card("BITPIX", "8".leftPadded(20)) + card("NAXIS", "0".leftPadded(20))
        for (k, v) in cards { text += card(k, v) }
        text += "END".padding(toLength: 80, withPad: " ", startingAt: 0)
        return Array(text.padding(toLength: 2880, withPad: " ", startingAt: 0).utf8)
    }

    func coverage(_ cards: [(String, String)]) throws -> Coverage? {
        let scratch = try ScratchFolder()
        return try FITSReader().read(path: scratch.write("e.fits", Self.fits(cards))).coverage
    }

    @Test func aDateOnlyEndTakesItsTimeFromTimeEnd() throws {
        let c = try coverage([("DATE-OBS", "'2011-02-15'"), ("TIME-OBS", "'01:00:00'"), ("DATE-END", "'2011-02-15'"), ("TIME-END", "'02:30:00.5'")])
        #expect(c == Coverage(start: utc("2011-02-15T01:00:00Z"), end: utc("2011-02-15T02:30:00.5Z")))
        let full = try coverage([("DATE-OBS", "'2011-02-15T01:00:00'"), ("DATE-END", "'2011-02-15'"), ("TIME-END", "'02:30:00'")])
        #expect(full?.end == utc("2011-02-15T02:30:00Z"))
        let nonStandard = try coverage([("DATE_OBS", "'2011-02-15'"), ("TIME_OBS", "'01:00:00'"), ("DATE_END", "'2011-02-15'"), ("TIME_END", "'03:00:00'")])
        #expect(nonStandard?.end == utc("2011-02-15T03:00:00Z"))
    }

    @Test func aDateOnlyEndWithoutATimeIsTheEndOfThatDay() throws {
        let c = try coverage([("DATE-OBS", "'2011-02-15T01:00:00'"), ("DATE-END", "'2011-02-15'")])
        #expect(c?.end == utc("2011-02-16T00:00:00Z"))
        let unreadable = try coverage([("DATE-OBS", "'2011-02-15T01:00:00'"), ("DATE-END", "'2011-02-15'"), ("TIME-END", "'late'")])
        #expect(unreadable?.end == utc("2011-02-16T00:00:00Z"))
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
