/// A date and time as written in a header, before any calendar or time scale is applied.
public struct DateLabel: Sendable, Equatable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    /// Microseconds into the day; nil when only a date was written.
    public var timeOfDay: Int64?
    /// The written offset from UTC in seconds (`+05:30` is 19800, `Z` is 0); nil when none.
    public var utcOffset: Int?
    /// A time-scale word written with the date (`_UTC`, ` TAI`), upper-cased.
    public var scale: String?

    public init(year: Int, month: Int, day: Int, timeOfDay: Int64? = nil, utcOffset: Int? = nil, scale: String? = nil) {
        self.year = year; self.month = month; self.day = day
        self.timeOfDay = timeOfDay; self.utcOffset = utcOffset; self.scale = scale
    }

    /// True when the date exists in the proleptic Gregorian calendar.
    public var isValidGregorian: Bool {
        (1...12).contains(month) && day >= 1 && day <= Instant.daysIn(month: month, year: year)
    }

    /// The label read as a proleptic Gregorian date, minus its UTC offset; nil for an invalid date.
    public var instant: Instant? {
        // Years beyond ±100,000 would overflow microseconds; no header means them.
        guard isValidGregorian, abs(year) <= 100_000, abs(timeOfDay ?? 0) <= 10 * 86_400_000_000 else { return nil }
        let days = Int64(Instant.daysFromCivil(year: year, month: month, day: day))
        let micros = days * 86_400_000_000 + (timeOfDay ?? 0) - Int64(utcOffset ?? 0) * 1_000_000
        return Instant(microseconds: micros)
    }

    public var description: String {
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(abs(v)); return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var out = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        if let t = timeOfDay {
            let s = Int(t / 1_000_000)
            out += "T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2))"
            if t % 1_000_000 != 0 { out += "." + pad(Int(t % 1_000_000), 6) }
        }
        return out
    }
}
