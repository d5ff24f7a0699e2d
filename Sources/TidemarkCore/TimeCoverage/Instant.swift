/// A UTC instant, in whole microseconds since 1970-01-01T00:00:00Z.
///
/// Microseconds match NIDAS sample time tags and fit every archive date in an Int64.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Int64) { self.microseconds = seconds * 1_000_000 }
    /// Seconds with a fraction; rounds to the nearest microsecond.
    public init(secondsSince1970 s: Double) { self.microseconds = Int64((s * 1_000_000).rounded()) }

    public static func < (a: Instant, b: Instant) -> Bool { a.microseconds < b.microseconds }

    public var secondsSince1970: Double { Double(microseconds) / 1_000_000 }

    /// Builds an instant from UTC calendar fields (proleptic Gregorian); nil when a field is out of range.
    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0) {
        guard (1...12).contains(month), day >= 1, day <= Instant.daysIn(month: month, year: year),
              ClockFields.isValid(hour: hour, minute: minute, second: second),
              (0..<1_000_000).contains(microsecond) else { return nil }
        let days = Instant.daysFromCivil(year: year, month: month, day: day)
        let secs = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.microseconds = secs * 1_000_000 + Int64(microsecond)
    }

    /// Day `dayOfYear` (1-based) of `year`.
    public init?(year: Int, dayOfYear: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        let length = Instant.isLeap(year) ? 366 : 365
        guard (1...length).contains(dayOfYear),
              let jan1 = Instant(year: year, month: 1, day: 1, hour: hour, minute: minute, second: second) else { return nil }
        self.microseconds = jan1.microseconds + Int64(dayOfYear - 1) * 86_400_000_000
    }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The calendar fields of this instant in UTC.
    public var civil: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int) {
        var secs = microseconds.floorDiv(1_000_000)
        let micro = Int(microseconds - secs * 1_000_000)
        let days = Int(secs.floorDiv(86_400))
        secs -= Int64(days) * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        let s = Int(secs)
        return (y, m, d, s / 3600, (s / 60) % 60, s % 60, micro)
    }

    /// ISO 8601 in UTC with `Z`; fractions only when present (`2017-05-01T04:00:00Z`).
    public var iso8601: String {
        let c = civil
        var out = "\(Instant.pad(c.year, 4))-\(Instant.pad(c.month, 2))-\(Instant.pad(c.day, 2))T"
        out += "\(Instant.pad(c.hour, 2)):\(Instant.pad(c.minute, 2)):\(Instant.pad(c.second, 2))"
        if c.microsecond != 0 {
            var frac = Instant.pad(c.microsecond, 6)
            while frac.hasSuffix("0") { frac.removeLast() }
            out += "." + frac
        }
        return out + "Z"
    }

    public var description: String { iso8601 }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(abs(v))
        let padded = s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        return v < 0 ? "-" + padded : padded
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so times before 1970 floor correctly.
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
