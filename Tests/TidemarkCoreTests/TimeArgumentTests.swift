import Testing
@testable import TidemarkCore

@Suite struct TimeArgumentTests {
    let now = Instant(year: 2020, month: 1, day: 10, hour: 12)!

    @Test(arguments: [
        ("2017-05-01T12:00:00Z", Instant(year: 2017, month: 5, day: 1, hour: 12)),
        ("2017-05-01 12:00:00", Instant(year: 2017, month: 5, day: 1, hour: 12)),
        ("2017-05-01T12:30", Instant(year: 2017, month: 5, day: 1, hour: 12, minute: 30)),
        ("2017-05-01T14:00:00+02:00", Instant(year: 2017, month: 5, day: 1, hour: 12)),
        ("2017-05-01T12:00:00.25Z", Instant(year: 2017, month: 5, day: 1, hour: 12, microsecond: 250_000)),
        ("20170501", Instant(year: 2017, month: 5, day: 1)),
        ("20170501T1200", Instant(year: 2017, month: 5, day: 1, hour: 12)),
        ("2017-05-01 12", Instant(year: 2017, month: 5, day: 1, hour: 12)),
        ("mjd:57874.5", Instant(year: 2017, month: 5, day: 1, hour: 12)),
        ("now", Instant(year: 2020, month: 1, day: 10, hour: 12)),
        ("-2d", Instant(year: 2020, month: 1, day: 8, hour: 12)),
        ("-6h", Instant(year: 2020, month: 1, day: 10, hour: 6)),
    ])
    func parses(text: String, expected: Instant?) throws {
        #expect(try TimeArgument.parse(text, now: now) == expected)
    }

    @Test(arguments: ["2017-13-01", "yesterday", "2017-05-01T25:00", "20170501X", ""])
    func refusesNonsense(text: String) {
        #expect(throws: TimeArgument.Invalid.self) { try TimeArgument.parse(text, now: now) }
    }

    @Test func openRanges() throws {
        let a = try TimeArgument.parseRange("20000101,", now: now)
        #expect(a.begin == Instant(year: 2000, month: 1, day: 1) && a.end == nil)
        let b = try TimeArgument.parseRange(",20170601", now: now)
        #expect(b.begin == nil && b.end == Instant(year: 2017, month: 6, day: 1))
    }

    @Test func isoRoundTrip() {
        let t = Instant(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: 500_000)!
        #expect(t.iso8601 == "1969-12-31T23:59:59.5Z")
        #expect(Instant(year: 2016, month: 2, day: 29)!.iso8601 == "2016-02-29T00:00:00Z")
        #expect(Instant(year: 2017, month: 2, day: 29) == nil)
    }
}
