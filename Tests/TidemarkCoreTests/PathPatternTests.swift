import Testing
@testable import TidemarkCore

@Suite struct PathPatternTests {
    func match(_ pattern: String, _ path: String) throws -> PathPattern.Match? {
        try PathPattern(pattern).match(path: path.split(separator: "/").map { Array($0.utf8) })
    }

    @Test func timeFieldsGiveTheInstant() throws {
        let m = try #require(try match("raw_data/isfs_%Y%m%d_%H%M%S.dat.bz2", "raw_data/isfs_20170501_013512.dat.bz2"))
        #expect(m.fields.instant == Instant(year: 2017, month: 5, day: 1, hour: 1, minute: 35, second: 12))
    }

    @Test func literalMismatchesFail() throws {
        #expect(try match("raw_data/isfs_%Y%m%d_%H%M%S.dat", "raw_data/isfs_20170501_013512.dat.bz2") == nil)
        #expect(try match("raw_data/isfs_%Y%m%d_%H%M%S.dat", "merge/isfs_20170501_013512.dat") == nil)
        #expect(try match("raw_data/isfs_%Y%m%d_%H%M%S.dat", "raw_data/isfs_2017050_013512.dat") == nil)
    }

    @Test func capturesTakeTheShortestRun() throws {
        let m = try #require(try match("raw_data/{dsm}_%Y%m%d_%H%M%S.dat", "raw_data/tse_01_20170501_000000.dat"))
        #expect(m.capture("dsm") == "tse_01")
    }

    @Test func starSkipsDigitsThatAreNotADate() throws {
        // 12345678 is no date (month 56): the matcher must look further along the name.
        let m = try #require(try match("*%Y%m%d*", "run12345678_20170501.nc"))
        #expect(m.fields.instant == Instant(year: 2017, month: 5, day: 1))
    }

    @Test func anyDepthMatchesZeroOrMoreDirectories() throws {
        #expect(try match("minidvodbs/{g}/{db}/**", "minidvodbs/g1/db1/cpt.fits")?.capture("db") == "db1")
        #expect(try match("minidvodbs/{g}/{db}/**", "minidvodbs/g1/db1/a/b/c.fits")?.capture("g") == "g1")
        #expect(try match("minidvodbs/{g}/{db}/**", "minidvodbs/g1/top.fits") == nil)
        #expect(try match("**/*.fits", "x.fits") != nil)
        #expect(try match("**/*.fits", "a/b/x.fits") != nil)
        #expect(try match("**/.*", "a/.hidden") != nil)
        #expect(try match("**/.*", "a/visible") == nil)
    }

    @Test func fieldsMaySpanDirectoryAndName() throws {
        let m = try #require(try match("pstamp/work/%Y%m%d/{req}/stamp_%H%M.fits", "pstamp/work/20170501/r42/stamp_1230.fits"))
        #expect(m.fields.instant == Instant(year: 2017, month: 5, day: 1, hour: 12, minute: 30))
        #expect(m.capture("req") == "r42")
    }

    @Test func dayOfYearAndTwoDigitYears() throws {
        #expect(try match("d_%Y%j.dat", "d_2016366.dat")?.fields.instant == Instant(year: 2016, month: 12, day: 31))
        #expect(try match("d_%y%m%d.dat", "d_991231.dat")?.fields.instant == Instant(year: 1999, month: 12, day: 31))
        #expect(try match("d_%y%m%d.dat", "d_170501.dat")?.fields.instant == Instant(year: 2017, month: 5, day: 1))
    }

    @Test func impossibleDatesGiveNoInstant() throws {
        let m = try #require(try match("x_%Y%m%d.dat", "x_20170230.dat"))
        #expect(m.fields.instant == nil)
    }

    @Test func nonUTF8NamesMatchAsBytes() throws {
        let p = try PathPattern("raw/*_%Y%m%d.dat")
        let name: [UInt8] = Array("caf".utf8) + [0xE9, 0xFF] + Array("_20170501.dat".utf8)
        #expect(p.match(path: [Array("raw".utf8), name])?.fields.instant == Instant(year: 2017, month: 5, day: 1))
    }

    @Test(arguments: [
        ("", "empty"), ("/abs/x", "relative"), ("a//b", "empty path component"), ("x_%Q.dat", "unknown time field"),
        ("x_{.dat", "without a closing"), ("x_%m%d.dat", "needs a year"), ("x_%Y%Y.dat", "appears twice"),
        ("x_%Y%j%m.dat", "cannot be combined"), ("x_{a-b}.dat", "letters, digits"),
    ])
    func badPatternsSayWhy(pattern: String, reason: String) {
        #expect { try PathPattern(pattern) } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func resolutionIsTheFinestField() throws {
        #expect(try PathPattern("x_%Y%m%d.nc").resolution == .day)
        #expect(try PathPattern("x_%Y%m%d_%H%M.nc").resolution == .minute)
        #expect(try PathPattern("x_%Y.nc").resolution == .year)
        #expect(try PathPattern("x.nc").resolution == nil)
    }
}
