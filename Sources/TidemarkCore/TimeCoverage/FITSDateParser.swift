/// A tolerant parser for the dates and times real headers hold, where cfitsio's
/// `ffs2tm` gives up: `2002/05/21`, `11-DEC-96`, `19/05/94` (FITS dd/mm/yy, 19yy),
/// `2004-03-01T00:00:10.515Z`, a `_UTC` suffix, trailing blanks, any number of
/// fraction digits. netCDF's ACDD attributes and CF `since` dates go through it too:
/// it also takes ISO basic form (`20160918T181648Z`), single-digit fields
/// (`1996-1-1`) and UTC offsets (`+05:30`, ` 0:00`).
public enum FITSDateParser {
    /// Parses a date with an optional time of day; nil when the text is not a date.
    public static func parse(_ text: String) -> DateLabel? {
        var s = Scanner(trimmed(Array(text.utf8)))
        guard let date = s.date() else { return nil }
        var label = DateLabel(year: date.year, month: date.month, day: date.day)
        // Date and time are joined by T, a blank, `_` or `,`.
        if let c = s.peek, c == UInt8(ascii: "T") || c == UInt8(ascii: "t") || c == UInt8(ascii: " ") || c == UInt8(ascii: "_") || c == UInt8(ascii: ",") {
            let mark = s.index
            s.index += 1
            s.skipBlanks()
            if let t = s.timeOfDay() { label.timeOfDay = t } else { s.index = mark }
        }
        guard s.zoneAndScale(into: &label), s.atEnd else { return nil }
        return label
    }

    /// Parses a time of day alone (`TIME-OBS`, `UT`): microseconds into the day.
    public static func parseTimeOfDay(_ text: String) -> Int64? {
        var s = Scanner(trimmed(Array(text.utf8)))
        guard let t = s.timeOfDay() else { return nil }
        var ignored = DateLabel(year: 2000, month: 1, day: 1)
        guard s.zoneAndScale(into: &ignored), s.atEnd else { return nil }
        return t
    }

    /// Drops blanks, NULs and one pair of surrounding quotes.
    static func trimmed(_ b: [UInt8]) -> ArraySlice<UInt8> {
        func blank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0 || c == 0x0a || c == 0x0d }
        var lo = b.startIndex, hi = b.endIndex
        while lo < hi, blank(b[lo]) { lo += 1 }
        while hi > lo, blank(b[hi - 1]) { hi -= 1 }
        if hi - lo >= 2, b[lo] == UInt8(ascii: "'") || b[lo] == UInt8(ascii: "\""), b[hi - 1] == b[lo] {
            lo += 1; hi -= 1
            while lo < hi, blank(b[lo]) { lo += 1 }
            while hi > lo, blank(b[hi - 1]) { hi -= 1 }
        }
        return b[lo..<hi]
    }

    static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    /// Words that name a time scale after a date (`_UTC`, ` TAI`).
    static let scaleWords: Set<String> = ["UTC", "UT", "GMT", "TAI", "TT", "TDT", "ET", "TDB", "GPS", "TCG", "TCB"]

    struct Scanner {
        let b: ArraySlice<UInt8>
        var index: Int

        init(_ b: ArraySlice<UInt8>) { self.b = b; self.index = b.startIndex }

        var atEnd: Bool { index >= b.endIndex }
        var peek: UInt8? { index < b.endIndex ? b[index] : nil }

        mutating func skipBlanks() { while let c = peek, c == 0x20 || c == 0x09 { index += 1 } }

        static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a }

        /// Up to `max` digits as a number, and how many were read.
        mutating func digits(max: Int = 9) -> (value: Int, count: Int)? {
            var v = 0, n = 0
            while n < max, let c = peek, Self.isDigit(c) { v = v * 10 + Int(c - 0x30); n += 1; index += 1 }
            return n == 0 ? nil : (v, n)
        }

        mutating func letters() -> String {
            var out = ""
            while let c = peek, Self.isLetter(c) { out.unicodeScalars.append(UnicodeScalar(c & ~0x20)); index += 1 }
            return out
        }

        mutating func accept(_ set: String) -> UInt8? {
            guard let c = peek, set.utf8.contains(c) else { return nil }
            index += 1
            return c
        }

        /// The date forms listed on `FITSDateParser`.
        mutating func date() -> (year: Int, month: Int, day: Int)? {
            let start = index
            var negative = false
            if peek == UInt8(ascii: "-") || peek == UInt8(ascii: "+") { negative = peek == UInt8(ascii: "-"); index += 1 }
            guard let first = digits(max: 8) else { return nil }
            if first.count == 8, !negative {
                // ISO basic: YYYYMMDD.
                return (first.value / 10000, first.value / 100 % 100, first.value % 100)
            }
            guard let sep = accept("-/.") else { return nil }
            if first.count >= 3 {
                // Year first: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, or YYYY-DDD (day of year).
                let year = negative ? -first.value : first.value
                guard let second = digits(max: 3) else { return nil }
                if second.count == 3, sep == UInt8(ascii: "-"), peek.map({ !Self.isDigit($0) && $0 != sep }) ?? true {
                    let leap = Instant.isLeap(year)
                    guard (1...(leap ? 366 : 365)).contains(second.value) else { return nil }
                    var m = 1, d = second.value
                    while d > Instant.daysIn(month: m, year: year) { d -= Instant.daysIn(month: m, year: year); m += 1 }
                    return (year, m, d)
                }
                guard second.count <= 2, accept(String(UnicodeScalar(sep))) != nil, let third = digits(max: 2) else { return nil }
                return (year, second.value, third.value)
            }
            guard !negative, first.count <= 2 else { index = start; return nil }
            if let c = peek, Self.isLetter(c) {
                // DD-MON-YY or DD-MON-YYYY (`11-DEC-96`, `20-May-2011`).
                let word = letters()
                guard word.count >= 3, let m = FITSDateParser.months.firstIndex(of: String(word.prefix(3))),
                      accept(String(UnicodeScalar(sep))) != nil, let y = digits(max: 4), y.count == 2 || y.count == 4 else { return nil }
                let year = y.count == 4 ? y.value : (y.value >= 50 ? 1900 + y.value : 2000 + y.value)
                return (year, m + 1, first.value)
            }
            // dd/mm/yy (FITS before 2000: always 19yy) or dd/mm/yyyy.
            guard sep == UInt8(ascii: "/"), let m = digits(max: 2), accept("/") != nil, let y = digits(max: 4),
                  y.count == 2 || y.count == 4 else { return nil }
            return (y.count == 2 ? 1900 + y.value : y.value, m.value, first.value)
        }

        /// `hh:mm[:ss[.f…]]` or `hhmm[ss[.f…]]`; hour 24 only as `24:00:00`.
        mutating func timeOfDay() -> Int64? {
            let start = index
            guard let h = digits(max: 2) else { return nil }
            let hour = h.value
            var minute = 0, second = 0
            if h.count == 2, let c = peek, Self.isDigit(c) {
                // Basic form hhmm[ss].
                guard let m = digits(max: 2), m.count == 2 else { index = start; return nil }
                minute = m.value
                if let s = digits(max: 2) { guard s.count == 2 else { index = start; return nil }; second = s.value }
            } else {
                guard accept(":") != nil, let m = digits(max: 2) else { index = start; return nil }
                minute = m.value
                if accept(":") != nil {
                    guard let s = digits(max: 2) else { index = start; return nil }
                    second = s.value
                }
            }
            var micro: Int64 = 0
            if let c = peek, c == UInt8(ascii: "."), index + 1 < b.endIndex, Self.isDigit(b[index + 1]) {
                index += 1
                var scale: Int64 = 100_000, n = 0
                while let c = peek, Self.isDigit(c) {
                    if n < 6 { micro += Int64(c - 0x30) * scale; scale /= 10 }
                    else if n == 6, c >= UInt8(ascii: "5") { micro += 1 }  // round at the 7th digit
                    n += 1; index += 1
                }
            }
            // 24:00:00 is the end of a day; otherwise the shared clock rules (leap second at 23:59 only).
            let valid = hour == 24 ? minute == 0 && second == 0 && micro == 0 : ClockFields.isValid(hour: hour, minute: minute, second: second)
            guard valid else { index = start; return nil }
            return Int64(hour * 3600 + minute * 60 + second) * 1_000_000 + micro
        }

        /// What may follow a time: `Z`, `[+-]hh[:mm]`, ` 0:00`, `_UTC`, ` UTC`, in that order.
        mutating func zoneAndScale(into label: inout DateLabel) -> Bool {
            while !atEnd {
                if let c = peek, c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                    index += 1
                    label.utcOffset = 0
                    continue
                }
                if let c = peek, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    index += 1
                    guard let off = offset() else { return false }
                    label.utcOffset = c == UInt8(ascii: "-") ? -off : off
                    continue
                }
                guard let c = peek, c == 0x20 || c == 0x09 || c == UInt8(ascii: "_") else { return false }
                index += 1
                skipBlanks()
                if let c = peek, Self.isLetter(c) {
                    let word = letters()
                    guard FITSDateParser.scaleWords.contains(word) else { return false }
                    label.scale = word
                    if word == "UTC" || word == "GMT" || word == "UT" { label.utcOffset = label.utcOffset ?? 0 }
                } else if let c = peek, Self.isDigit(c) {
                    // A bare offset after a blank, as udunits writes it: `... 00:00:00 0:00`.
                    guard let off = offset() else { return false }
                    label.utcOffset = off
                } else if let c = peek, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    index += 1
                    guard let off = offset() else { return false }
                    label.utcOffset = c == UInt8(ascii: "-") ? -off : off
                } else if !atEnd {
                    return false
                }
            }
            return true
        }

        /// `hh`, `hhmm`, `h:mm` or `hh:mm` as seconds.
        mutating func offset() -> Int? {
            guard let h = digits(max: 4) else { return nil }
            if h.count == 4 { return ClockFields.offsetSeconds(hours: h.value / 100, minutes: h.value % 100) }
            guard h.count <= 2 else { return nil }
            var minutes = 0
            if accept(":") != nil {
                guard let m = digits(max: 2) else { return nil }
                minutes = m.value
            }
            return ClockFields.offsetSeconds(hours: h.value, minutes: minutes)
        }
    }
}
