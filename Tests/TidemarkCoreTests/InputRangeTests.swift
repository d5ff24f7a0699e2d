import Foundation
import Testing
@testable import TidemarkCore

/// Numbers and times at their edges, as people type them: each is taken or refused with a
/// message, never trapped on (issue 8: "Wrong answers", "Crashes and hangs").
@Suite struct InputRangeTests {
    let now = Instant(year: 2020, month: 1, day: 10, hour: 12)!

    @Test(arguments: ["2017-05-01T00:00+25:00", "2017-05-01T00:00+99:99", "2017-05-01T00:00-15:00", "2017-05-01T00:00+14:01",
                      "2017-05-01T00:00+02:60", "20170501T0000+1500"])
    func offsetsBeyondFourteenHoursAreRefused(text: String) {
        #expect(throws: TimeArgument.Invalid.self) { try TimeArgument.parse(text, now: now) }
    }

    @Test func offsetsInUseAreTaken() throws {
        let noon = Instant(year: 2017, month: 5, day: 1, hour: 12)!
        #expect(try TimeArgument.parse("2017-05-02T02:00+14:00", now: now) == noon)
        #expect(try TimeArgument.parse("2017-05-01T00:00-12:00", now: now) == noon)
        #expect(try TimeArgument.parse("2017-05-01T17:30+05:30", now: now) == noon)
    }

    @Test func aLeapSecondOnlyEndsADay() throws {
        #expect(throws: TimeArgument.Invalid.self) { try TimeArgument.parse("2017-05-01T12:30:60", now: now) }
        #expect(throws: TimeArgument.Invalid.self) { try TimeArgument.parse("2016-12-31T23:58:60", now: now) }
        #expect(try TimeArgument.parse("2016-12-31T23:59:60Z", now: now) == Instant(year: 2017, month: 1, day: 1))
        #expect(Instant(year: 2017, month: 5, day: 1, hour: 12, minute: 30, second: 60) == nil)
        #expect(FITSDateParser.parse("2000-01-01T12:00:60") == nil)
        #expect(FITSDateParser.parse("2000-01-01T23:59:60")?.instant != nil)
    }

    @Test(arguments: ["2000-01-01T00:00:00+25:00", "2000-01-01T00:00:00+9999", "2000-01-01T00:00:00 99:00"])
    func headerOffsetsBeyondFourteenHoursAreRefused(text: String) {
        #expect(FITSDateParser.parse(text) == nil)
    }

    @Test(arguments: ["mjd:1e300", "mjd:-1e300", "mjd:nan", "mjd:inf", "mjd:1e20", "-99999999999999d", "+99999999999999w",
                      "-9999999999999999999999999s", "-4000000w"])
    func timesOutOfRangeAreRefused(text: String) {
        #expect(throws: TimeArgument.Invalid.self) { try TimeArgument.parse(text, now: now) }
    }

    @Test func durationsOutOfRangeAreRefused() {
        #expect(Duration.parseMicroseconds("99999999999999d") == nil)
        #expect(Duration.parseMicroseconds("1" + String(repeating: "0", count: 400)) == nil)
        let week: Int64 = 604_800_000_000
        #expect(Duration.parseMicroseconds("9999w") == 9999 * week)
    }

    @Test(arguments: [("80%", 0.8), ("80", 0.8), ("1", 0.01), ("0.5%", 0.005), ("100%", 1.0)])
    func percentages(text: String, value: Double) { #expect(Quantity.percent(text) == value) }

    @Test(arguments: ["0.9", "0.5", " 0.99 ", "101", "-5%", "nan", "inf%", ""])
    func aBareFractionIsNotAPercentage(text: String) { #expect(Quantity.percent(text) == nil) }

    @Test func sizesOutOfRangeAreRefused() {
        #expect(Quantity.bytes("99999999999999999999") == nil)
        #expect(Quantity.bytes("9EB") == nil)
        #expect(Quantity.bytes("1" + String(repeating: "0", count: 400)) == nil)
    }

    func policy(_ rule: String) throws(DefinitionError) -> Policy {
        try Policy(file: "policies/p.toml", text: "context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\n" + rule,
                   defaultName: "p", now: now)
    }

    @Test(arguments: [
        ("when_above = 0.9\nuntil_below = 0.8", "rule[1].when_above", "has no '%'"),
        ("until_below = \"0.8\"\nwhen_above = \"95%\"", "rule[1].until_below", "write \"80%\""),
        ("older_than = 9223372036854775807", "rule[1].older_than", "10000 years"),
        ("older_than = \"99999999999999d\"", "rule[1].older_than", "10000 years"),
        ("before = \"-99999999999999d\"", "rule[1].before", "out of range"),
        ("time = \"mjd:1e300,\"", "rule[1].time", "out of range"),
    ])
    func policyNumbersOutOfRangeNameTheirKey(rule: String, key: String, words: String) {
        do {
            _ = try policy(rule)
            Issue.record("accepted: \(rule)")
        } catch {
            #expect(error.key == key && error.line == 5 && error.message.contains(words), "\(error)")
        }
    }

    @Test(arguments: ["9223372036854775807", "\"99999999999d\"", "-1"])
    func aDefinitionsLengthOutOfRangeNamesItsKey(_ length: String) {
        do {
            _ = try ContextDefinition(file: "d.toml", text: "[[rule]]\nmatch = \"x_%Y%m%d.dat\"\ncategory = \"c\"\nlength = \(length)\n", defaultName: "d")
            Issue.record("accepted length = \(length)")
        } catch {
            #expect(error.key == "rule[1].length" && error.line == 4, "\(error)")
        }
    }

    @Test func aWindowThatEndsBeforeItBeginsIsRefused() throws {
        let a = Instant(year: 2017, month: 5, day: 2)!, b = Instant(year: 2017, month: 5, day: 1)!
        #expect(throws: TimeArgument.Invalid.self) { try TimeArgument.window(from: a, to: b) }
        #expect(try TimeArgument.window(from: b, to: a) == TimeWindow(begin: b, end: a))
        #expect(try TimeArgument.window(from: a, to: a).isInstant)
        #expect(try TimeArgument.window(from: nil, to: b) == TimeWindow(begin: nil, end: b))
    }
}
