import Testing
@testable import TidemarkCore

@Suite struct FITSDateParserTests {
    /// (text as found in headers, the UTC instant it names).
    static let good: [(String, String)] = [
        ("2011-02-15T00:00:00.34", "2011-02-15T00:00:00.34Z"),
        ("'2011-02-15T00:00:00.34'", "2011-02-15T00:00:00.34Z"),
        ("2004-03-01T00:00:10.515Z", "2004-03-01T00:00:10.515Z"),
        ("2011-08-09        ", "2011-08-09T00:00:00Z"),
        ("2002/05/21", "2002-05-21T00:00:00Z"),
        ("2002/05/21 10:20:30", "2002-05-21T10:20:30Z"),
        ("11-DEC-96", "1996-12-11T00:00:00Z"),
        ("11-Dec-1996 01:02:03", "1996-12-11T01:02:03Z"),
        ("05-JAN-04", "2004-01-05T00:00:00Z"),
        ("20-May-2011,8:28:00 GMT", "2011-05-20T08:28:00Z"),
        ("19/05/94", "1994-05-19T00:00:00Z"),       // FITS dd/mm/yy: always 19yy
        ("30/12/91", "1991-12-30T00:00:00Z"),
        ("10/01/21", "1921-01-10T00:00:00Z"),
        ("19/05/1994", "1994-05-19T00:00:00Z"),
        ("2002-05-21T10:00:00_UTC", "2002-05-21T10:00:00Z"),
        ("2002-05-21T10:00:00 UTC", "2002-05-21T10:00:00Z"),
        ("2014.03.01_00:01:25_TAI", "2014-03-01T00:01:25Z"),  // scale kept in `scale`, see below
        ("20160918T181648Z", "2016-09-18T18:16:48Z"),
        ("1996-1-1", "1996-01-01T00:00:00Z"),
        ("1970-1-1 0:00:00 0:00", "1970-01-01T00:00:00Z"),
        ("2011-05-20T11:35:37-06:00", "2011-05-20T17:35:37Z"),
        ("2011-05-20 11:35:37 +0530", "2011-05-20T06:05:37Z"),
        ("2000-01-01T23:59:60", "2000-01-02T00:00:00Z"),        // a leap second, as a label
        ("2000-01-01T24:00:00", "2000-01-02T00:00:00Z"),
        ("2000-01-01T12:00:00.1234567", "2000-01-01T12:00:00.123457Z"),  // rounded to µs
        ("2004-061", "2004-03-01T00:00:00Z"),                    // day of year
        ("2015-01-01T00:00:00.008000", "2015-01-01T00:00:00.008Z"),
        ("  2020-05-05T23:59:59.431\0\0", "2020-05-05T23:59:59.431Z"),
    ]

    @Test func goodForms() {
        for (text, expected) in Self.good {
            let label = FITSDateParser.parse(text)
            #expect(label?.instant == utc(expected), "\(text) → \(String(describing: label))")
        }
        #expect(FITSDateParser.parse("2014.03.01_00:01:25_TAI")?.scale == "TAI")
        #expect(FITSDateParser.parse("2011-08-09")?.timeOfDay == nil)
        #expect(FITSDateParser.parse("2011-08-09T00:00")?.timeOfDay == 0)
    }

    @Test func badForms() {
        for text in ["", "   ", "****-**-**", "2011-13-01", "2011-02-30", "31/02/99", "11-XYZ-96", "12:00:00",
                     "2011-02-15T25:00:00", "2011-02-15T10:61", "2011-02-15Tnoon", "2011-02-15 junk", "1.0E+02",
                     "2011-02-15T10:00:00+99", "hello", "2011-", "/05/94"] {
            #expect(FITSDateParser.parse(text)?.instant == nil, "\(text)")
        }
    }

    @Test func timeOfDay() {
        #expect(FITSDateParser.parseTimeOfDay("18:38:15") == Int64(18 * 3600 + 38 * 60 + 15) * 1_000_000)
        #expect(FITSDateParser.parseTimeOfDay("'17:38:00.00       '") == Int64(17 * 3600 + 38 * 60) * 1_000_000)
        #expect(FITSDateParser.parseTimeOfDay("00:00:10Z") == 10_000_000)
        #expect(FITSDateParser.parseTimeOfDay("8:5") == Int64(8 * 3600 + 5 * 60) * 1_000_000)  // tolerant
        #expect(FITSDateParser.parseTimeOfDay("8:") == nil)
        #expect(FITSDateParser.parseTimeOfDay("noon") == nil)
    }

    /// Random text never crashes the parser, and what it accepts is a valid date.
    @Test func randomText() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789-/:.TZ _+'DECJANutc\0".utf8)
        for _ in 0..<20_000 {
            let n = Int.random(in: 0...30, using: &rng)
            let bytes = (0..<n).map { _ in alphabet.randomElement(using: &rng)! }
            if let label = FITSDateParser.parse(String(decoding: bytes, as: UTF8.self)) {
                #expect(label.isValidGregorian || label.instant == nil)
            }
        }
    }

    /// FITS keyword precedence, on cards alone (no file).
    @Test func keywordPrecedence() {
        func reading(_ cards: [String: String]) -> CoverageReading {
            FITSTimeKeywords(cards: cards.mapValues { FITSCard(value: $0) }).reading()
        }
        // DATE-BEG wins over DATE-OBS; DATE (file write) is never used.
        var r = reading(["DATE-BEG": "'2020-01-01T00:00:00'", "DATE-OBS": "'2019-01-01'", "DATE": "'2021-01-01'"])
        #expect(r.coverage?.start == utc("2020-01-01T00:00:00Z"))
        #expect(reading(["DATE": "'2021-01-01T00:00:00'"]).coverage == nil)
        // TSTART that disagrees with DATE-OBS is noted and TSTOP is not used; EXPTIME gives the end.
        r = reading(["DATE-OBS": "'2016-01-26T17:58:29'", "TSTART": "570000000.0", "TSTOP": "570100000.0", "MJDREF": "50814.0", "EXPTIME": "10.0"])
        #expect(r.coverage == Coverage(start: utc("2016-01-26T17:58:29Z"), end: utc("2016-01-26T17:58:39Z")))
        #expect(r.notes.contains { $0.contains("disagrees") })
        // TSTART in days from JDREF, TIMEUNIT d, TIMESYS TAI (2016: TAI − UTC = 36 s).
        r = reading(["TSTART": "1.5", "TSTOP": "2.0", "JDREF": "2457388.5", "TIMEUNIT": "'d       '", "TIMESYS": "'TAI'"])
        #expect(r.coverage == Coverage(start: utc("2016-01-02T11:59:24Z"), end: utc("2016-01-02T23:59:24Z")))
        // DATEREF, and TELAPSE in TIMEUNIT.
        r = reading(["TSTART": "60", "DATEREF": "'2010-06-01T00:00:00'", "TELAPSE": "2", "TIMEUNIT": "'min'"])
        #expect(r.coverage == Coverage(start: utc("2010-06-01T01:00:00Z"), end: utc("2010-06-01T01:02:00Z")))
        // MJD-BEG/MJD-END; GPS = TAI − 19 s.
        r = reading(["MJD-BEG": "58849.5", "MJD-END": "58849.75", "TIMESYS": "'GPS'"])
        #expect(r.coverage == Coverage(start: utc("2020-01-01T11:59:42Z"), end: utc("2020-01-01T17:59:42Z")))
        // A Fortran D exponent, and a negative exposure ignored.
        r = reading(["MJD-OBS": "5.88495D+04", "EXPTIME": "-3"])
        #expect(r.coverage == Coverage(start: utc("2020-01-01T12:00:00Z"), end: utc("2020-01-01T12:00:00Z")))
        // An end before the start is noted and skipped.
        r = reading(["DATE-OBS": "'2020-01-02'", "TIME-OBS": "'10:00:00'", "DATE-END": "'2020-01-01T00:00:00'", "EXPTIME": "5"])
        #expect(r.coverage == Coverage(start: utc("2020-01-02T10:00:00Z"), end: utc("2020-01-02T10:00:05Z")))
        #expect(r.notes.contains { $0.contains("before the start") })
        // Absurd numbers never trap.
        r = reading(["TSTART": "1e300", "MJDREF": "1e300", "MJD-OBS": "-1e308", "DATE-OBS": "'99999999-01-01'"])
        #expect(r.coverage == nil)
    }

    @Test func timeScales() {
        // TT − UTC = 32.184 s + 37 s since 2017.
        #expect(TimeScale.tt.toUTC(utc("2020-01-01T00:01:09.184Z")) == utc("2020-01-01T00:00:00Z"))
        #expect(TimeScale.tai.toUTC(utc("1999-01-01T00:00:32Z")) == utc("1999-01-01T00:00:00Z"))
        #expect(TimeScale.tai.toUTC(utc("1998-12-31T23:59:59Z")) == utc("1998-12-31T23:59:28Z"))
        #expect(abs(TimeScale.tdbMinusTT(tt: utc("2020-01-01T00:00:00Z").microseconds)) < 2000)
        #expect(TimeScale(fitsName: "1979.00") == nil)
        #expect(TimeScale(fitsName: "tdt") == .tt)
    }
}
