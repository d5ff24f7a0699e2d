import Testing
@testable import TidemarkCore

@Suite struct CFTimeTests {
    func instant(_ units: String, _ calendar: String?, _ value: Double) -> Instant? {
        CFTimeUnits(units: units, calendar: calendar)?.instant(for: value)
    }

    @Test func unitsAndReferenceForms() {
        #expect(instant("hours since 1996-1-1", nil, 12) == utc("1996-01-01T12:00:00Z"))
        #expect(instant("seconds since 2011-05-20 00:00:00 0:00", nil, 30480) == utc("2011-05-20T08:28:00Z"))
        #expect(instant("seconds since 2011-05-20T11:35:37Z", "gregorian", 29) == utc("2011-05-20T11:36:06Z"))
        #expect(instant("seconds since 1970-01-01 00:00:00 UTC", nil, 1_427_322_017) == utc("2015-03-25T22:20:17Z"))
        #expect(instant("hours since 2013-02-18 00:00:00.000 UTC", "proleptic_gregorian", 21) == utc("2013-02-18T21:00:00Z"))
        #expect(instant("days since 2000-01-01", "standard", 0.5) == utc("2000-01-01T12:00:00Z"))
        #expect(instant("minutes since 2000-01-01", nil, -1) == utc("1999-12-31T23:59:00Z"))
        #expect(instant("milliseconds since 1970-01-01", nil, 1500) == utc("1970-01-01T00:00:01.5Z"))
        #expect(instant("weeks since 2024-01-01", nil, 1) == utc("2024-01-08T00:00:00Z"))
        #expect(instant("Days Since 2000-01-01", nil, 1) == utc("2000-01-02T00:00:00Z"))
        // A written offset: local 00:00 at −06:00 is 06:00 UTC.
        #expect(instant("seconds since 1970-01-01 00:00:00 -6:00", nil, 0) == utc("1970-01-01T06:00:00Z"))
        #expect(instant("seconds since 1970-01-01T00:00:00+05:30", nil, 0) == utc("1969-12-31T18:30:00Z"))
    }

    @Test func rejectsWhatIsNoTimeUnit() {
        for bad in ["days", "days since", "furlongs since 2000-01-01", "days before 2000-01-01", "days since yesterday", "", "seconds since 2001-02-29"] {
            #expect(CFTimeUnits(units: bad) == nil, "\(bad)")
        }
        #expect(CFTimeUnits(units: "days since 2000-01-01", calendar: "martian") == nil)
        #expect(CFTimeUnits(units: "days since 2000-01-01")?.label(for: .infinity) == nil)
        #expect(CFTimeUnits(units: "days since 2000-01-01")?.label(for: 1e300) == nil)
    }

    /// Day counts from 0001-01-01 across the 1582 switch; the proleptic figure is Python's
    /// `date(2000,1,1).toordinal() - 1`, the standard one adds the two days by which Julian
    /// 0001-01-01 precedes Gregorian 0001-01-01.
    @Test func standardAndProlepticAcross1582() {
        #expect(instant("days since 0001-01-01", "proleptic_gregorian", 730_119) == utc("2000-01-01T00:00:00Z"))
        #expect(instant("days since 0001-01-01", "standard", 730_121) == utc("2000-01-01T00:00:00Z"))
        // The day after Julian 1582-10-04 is Gregorian 1582-10-15 in the standard calendar.
        #expect(CFTimeUnits(units: "days since 1582-10-04", calendar: "standard")?.label(for: 1) == DateLabel(year: 1582, month: 10, day: 15, timeOfDay: 0, utcOffset: 0))
        #expect(CFTimeUnits(units: "days since 1582-10-10", calendar: "standard") == nil)  // a day that never was
    }

    @Test func modelCalendars() {
        // noleap: 2000 has no Feb 29, so day 365 is 2001-01-01 and day 59 is March 1.
        #expect(instant("days since 2000-01-01", "noleap", 365) == utc("2001-01-01T00:00:00Z"))
        #expect(instant("days since 2000-01-01", "365_day", 59) == utc("2000-03-01T00:00:00Z"))
        // all_leap: every year has Feb 29; in 2001 that label maps to Feb 28.
        #expect(CFTimeUnits(units: "days since 2001-01-01", calendar: "all_leap")?.label(for: 59) == DateLabel(year: 2001, month: 2, day: 29, timeOfDay: 0, utcOffset: 0))
        #expect(instant("days since 2001-01-01", "366_day", 59) == utc("2001-02-28T00:00:00Z"))
        #expect(instant("days since 2001-01-01", "all_leap", 366) == utc("2002-01-01T00:00:00Z"))
        // 360_day: twelve 30-day months; Feb 30 maps to the last day of the Gregorian February.
        #expect(instant("days since 2000-01-01", "360_day", 360) == utc("2001-01-01T00:00:00Z"))
        #expect(instant("days since 2000-01-01", "360_day", 59.25) == utc("2000-02-29T06:00:00Z"))
        #expect(instant("months since 2000-01-01", "360_day", 13) == utc("2001-02-01T00:00:00Z"))
        #expect(instant("years since 2000-01-01", "noleap", 2) == utc("2002-01-01T00:00:00Z"))
        // julian: labels kept; 1900 is a julian leap year, so day 59 of it is Feb 29 → Gregorian Feb 28.
        #expect(instant("days since 1970-01-01", "julian", 0) == utc("1970-01-01T00:00:00Z"))
        #expect(CFTimeUnits(units: "days since 1900-01-01", calendar: "julian")?.label(for: 59)?.day == 29)
    }

    /// Every calendar: a date's day count and back give the same date, over many years.
    @Test(arguments: CFCalendar.allCases) func dayNumbersRoundTrip(_ c: CFCalendar) {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let n = Int64.random(in: -1_000_000...1_000_000, using: &rng)
            let d = c.date(dayNumber: n)
            if c == .standard || c == .julian || c == .prolepticGregorian {
                #expect(c.dayNumber(year: d.year, month: d.month, day: d.day) == n, "\(c) \(n) → \(d)")
            } else {
                #expect(c.dayNumber(year: d.year, month: d.month, day: d.day) == n)
            }
            #expect(d.day >= 1 && d.day <= c.daysIn(month: d.month, year: d.year))
        }
    }

    @Test func udunitsYearInRealCalendars() {
        // udunits' year is 365.242198781 days; months are a twelfth of it.
        let u = CFTimeUnits(units: "years since 2000-01-01")!
        #expect(abs(u.unitSeconds - 31_556_925.9747) < 0.001)
        #expect(CFTimeUnits(units: "common_years since 2000-01-01")!.unitSeconds == 365 * 86_400)
    }
}
