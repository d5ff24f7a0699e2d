/// The calendars of the CF conventions (§4.4.1), as day counts.
public enum CFCalendar: String, Sendable, CaseIterable {
    /// Julian before 1582-10-15, Gregorian from then on (`gregorian` is the same).
    case standard
    case prolepticGregorian = "proleptic_gregorian"
    case julian
    /// 365 days every year (`365_day`).
    case noLeap = "noleap"
    /// 366 days every year (`366_day`).
    case allLeap = "all_leap"
    /// Twelve 30-day months.
    case day360 = "360_day"

    /// The calendar a `calendar` attribute names (any case); a missing one is standard.
    public init?(attribute: String?) {
        switch (attribute ?? "").trimmingBlanks.lowercased() {
        case "", "standard", "gregorian", "mixed": self = .standard
        case "proleptic_gregorian": self = .prolepticGregorian
        case "julian": self = .julian
        case "noleap", "no_leap", "365_day": self = .noLeap
        case "all_leap", "366_day": self = .allLeap
        case "360_day": self = .day360
        default: return nil
        }
    }

    /// True when the calendar counts real days, so its dates name real instants.
    var isReal: Bool { self == .standard || self == .prolepticGregorian }

    private static let cumulative365 = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
    private static let cumulative366 = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335]
    /// 1582-10-15, the first Gregorian day of the standard calendar, as days since 1970.
    private static let gregorianStart = Instant.daysFromCivil(year: 1582, month: 10, day: 15)

    /// Days in a month of this calendar.
    public func daysIn(month: Int, year: Int) -> Int {
        switch self {
        case .day360: return 30
        case .noLeap: return month == 2 ? 28 : Instant.daysIn(month: month, year: 2001)
        case .allLeap: return month == 2 ? 29 : Instant.daysIn(month: month, year: 2001)
        case .julian: return month == 2 ? (year.floorMod(4) == 0 ? 29 : 28) : Instant.daysIn(month: month, year: 2001)
        case .prolepticGregorian: return Instant.daysIn(month: month, year: year)
        case .standard:
            return year < 1582 || (year == 1582 && month < 10) ? CFCalendar.julian.daysIn(month: month, year: year) : Instant.daysIn(month: month, year: year)
        }
    }

    /// The day count of a date (0 is the calendar's 1970-01-01); nil for a date the calendar lacks.
    public func dayNumber(year: Int, month: Int, day: Int) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), abs(year) <= 1_000_000 else { return nil }
        let y = Int64(year), d = Int64(day - 1)
        switch self {
        case .prolepticGregorian: return Int64(Instant.daysFromCivil(year: year, month: month, day: day))
        case .julian: return Self.julianDays(year: year, month: month, day: day)
        case .standard:
            if (year, month, day) < (1582, 10, 15) {
                // The ten days 1582-10-05…14 do not exist in the standard calendar.
                guard (year, month, day) < (1582, 10, 5) else { return nil }
                return Self.julianDays(year: year, month: month, day: day)
            }
            return Int64(Instant.daysFromCivil(year: year, month: month, day: day))
        case .noLeap: return (y - 1970) * 365 + Int64(Self.cumulative365[month - 1]) + d
        case .allLeap: return (y - 1970) * 366 + Int64(Self.cumulative366[month - 1]) + d
        case .day360: return (y - 1970) * 360 + Int64((month - 1) * 30) + d
        }
    }

    /// The date of a day count.
    public func date(dayNumber n: Int64) -> (year: Int, month: Int, day: Int) {
        switch self {
        case .prolepticGregorian:
            let c = Instant(microseconds: n * 86_400_000_000).civil
            return (c.year, c.month, c.day)
        case .julian: return Self.julianDate(n)
        case .standard:
            if n < Self.gregorianStart { return Self.julianDate(n) }
            return CFCalendar.prolepticGregorian.date(dayNumber: n)
        case .noLeap, .allLeap:
            let length: Int64 = self == .noLeap ? 365 : 366
            let table = self == .noLeap ? Self.cumulative365 : Self.cumulative366
            let year = n.floorDiv(length)
            let doy = Int(n - year * length)
            let month = table.lastIndex { $0 <= doy }! + 1
            return (Int(year) + 1970, month, doy - table[month - 1] + 1)
        case .day360:
            let year = n.floorDiv(360)
            let doy = Int(n - year * 360)
            return (Int(year) + 1970, doy / 30 + 1, doy % 30 + 1)
        }
    }

    /// Julian-calendar day count (Julian Day Number minus 2440588, so Gregorian 1970-01-01 is 0).
    private static func julianDays(year: Int, month: Int, day: Int) -> Int64 {
        let a = Int64((14 - month) / 12)
        let y = Int64(year) + 4800 - a
        let m = Int64(month) + 12 * a - 3
        let jdn = Int64(day) + (153 * m + 2) / 5 + 365 * y + y.floorDiv(4) - 32083
        return jdn - 2_440_588
    }

    private static func julianDate(_ n: Int64) -> (year: Int, month: Int, day: Int) {
        let c = n + 2_440_588 + 32082
        let d = (4 * c + 3).floorDiv(1461)
        let e = c - (1461 * d).floorDiv(4)
        let m = (5 * e + 2) / 153
        return (Int(d - 4800 + m / 10), Int(m + 3 - 12 * (m / 10)), Int(e - (153 * m + 2) / 5 + 1))
    }
}

/// A CF time coordinate's `units` ("hours since 1996-1-1") in its calendar: decodes
/// stored numbers to instants.
///
/// Dates of the non-real calendars (noleap, all_leap, 360_day) and of julian are mapped to
/// UTC by their labels: 2000-02-30 of a 360_day model is taken as 2000-02-29, the last
/// day of that Gregorian month, and a julian 2015-03-25 as the Gregorian 2015-03-25.
/// That is what a person searching an archive by date expects, and what ACDD attributes
/// written beside such data say.
public struct CFTimeUnits: Sendable, Equatable {
    /// Seconds per unit; for `months`/`years` the calendar's (udunits' in real calendars).
    public var unitSeconds: Double
    public var reference: DateLabel
    public var calendar: CFCalendar

    /// Parses `units` and `calendar` attributes; nil when `units` is no "X since DATE".
    public init?(units: String, calendar: String? = nil) {
        guard let cal = CFCalendar(attribute: calendar) else { return nil }
        let words = units.trimmingBlanks.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard words.count == 3 else { return nil }
        let connector = words[1].lowercased()
        guard ["since", "after", "from", "ref", "@"].contains(connector) else { return nil }
        guard let seconds = Self.seconds(unit: words[0].lowercased(), calendar: cal),
              let ref = FITSDateParser.parse(String(words[2])),
              cal.dayNumber(year: ref.year, month: ref.month, day: ref.day) != nil else { return nil }
        unitSeconds = seconds
        reference = ref
        self.calendar = cal
    }

    private static func seconds(unit: String, calendar: CFCalendar) -> Double? {
        switch unit {
        case "microseconds", "microsecond", "microsec", "microsecs", "us", "usec", "usecs": return 1e-6
        case "milliseconds", "millisecond", "millisec", "millisecs", "msec", "msecs", "ms": return 1e-3
        case "seconds", "second", "secs", "sec", "s": return 1
        case "minutes", "minute", "mins", "min": return 60
        case "hours", "hour", "hrs", "hr", "h": return 3600
        case "days", "day", "d": return 86_400
        case "weeks", "week": return 7 * 86_400
        case "years", "year", "yr", "yrs", "a", "common_years", "common_year":
            switch calendar {
            case .day360: return 360 * 86_400
            case .noLeap: return 365 * 86_400
            case .allLeap: return 366 * 86_400
            default: return unit.hasPrefix("common") ? 365 * 86_400 : 365.242_198_781 * 86_400  // udunits' year
            }
        case "months", "month", "mon":
            return calendar == .day360 ? 30 * 86_400 : (seconds(unit: "years", calendar: calendar) ?? 0) / 12
        default: return nil
        }
    }

    /// The calendar date and time a stored value names; nil when out of range.
    public func label(for value: Double) -> DateLabel? {
        guard let refDay = calendar.dayNumber(year: reference.year, month: reference.month, day: reference.day),
              let offset = Instant.checkedMicroseconds(seconds: value * unitSeconds) else { return nil }
        let refMicros = refDay.multipliedReportingOverflow(by: 86_400_000_000)
        guard !refMicros.overflow else { return nil }
        let shift = (reference.timeOfDay ?? 0) - Int64(reference.utcOffset ?? 0) * 1_000_000
        let (sum1, o1) = refMicros.partialValue.addingReportingOverflow(shift)
        let (total, o2) = sum1.addingReportingOverflow(offset)
        guard !o1, !o2 else { return nil }
        let day = total.floorDiv(86_400_000_000)
        let date = calendar.date(dayNumber: day)
        return DateLabel(year: date.year, month: date.month, day: date.day, timeOfDay: total - day * 86_400_000_000, utcOffset: 0)
    }

    /// The UTC instant a stored value names, mapping non-real calendars by label.
    public func instant(for value: Double) -> Instant? {
        guard var l = label(for: value) else { return nil }
        if !l.isValidGregorian, (1...12).contains(l.month) {
            l.day = Instant.daysIn(month: l.month, year: l.year)  // 360_day's Feb 30 and the like
        }
        return l.instant
    }
}

extension Int {
    /// Remainder with the sign of the divisor, for negative years.
    func floorMod(_ d: Int) -> Int { let r = self % d; return r < 0 ? r + d : r }
}
