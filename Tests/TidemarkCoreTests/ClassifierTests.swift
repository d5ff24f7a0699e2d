import Testing
@testable import TidemarkCore

@Suite struct ClassifierTests {
    static let isfs = """
        context = "t/isfs"
        roots = ["/data"]
        ignore = ["**/.*"]
        [[rule]]
        match = ["raw_data/isfs_%Y%m%d_%H%M%S.dat", "raw_data/isfs_%Y%m%d_%H%M%S.dat.bz2"]
        category = "raw/nidas"
        stream = "isfs"
        length = 14400
        [[rule]]
        match = "raw_data/{dsm}_%Y%m%d_%H%M%S.dat"
        category = "raw/dsm"
        stream = "{dsm}"
        length = "4h"
        [[rule]]
        match = "netcdf/{kind}/*%Y%m%d*.nc"
        category = "netcdf/{kind}"
        stream = "{kind}"
        [[rule]]
        match = "scratch/**"
        skip = true
        """

    func classify(_ path: String) throws -> Classification? {
        let d = try ContextDefinition(file: "t.toml", text: Self.isfs, defaultName: "t")
        return Classifier(d).classify(relativePath: Array(path.utf8))
    }

    @Test func fileOnABoundaryCoversOneLength() throws {
        let c = try #require(try classify("raw_data/isfs_20170501_040000.dat.bz2"))
        #expect(c.category == "raw/nidas" && c.stream == "isfs")
        #expect(c.nameCoverage?.start == Instant(year: 2017, month: 5, day: 1, hour: 4))
        #expect(c.nameCoverage?.end == Instant(year: 2017, month: 5, day: 1, hour: 8))
    }

    @Test func firstFileAfterARestartEndsAtTheNextBoundary() throws {
        // NIDAS FileSet: a restart at 01:35:12 writes until the 04:00 boundary.
        let c = try #require(try classify("raw_data/isfs_20170501_013512.dat"))
        #expect(c.nameCoverage?.start == Instant(year: 2017, month: 5, day: 1, hour: 1, minute: 35, second: 12))
        #expect(c.nameCoverage?.end == Instant(year: 2017, month: 5, day: 1, hour: 4))
    }

    @Test func dsmNamesTheStream() throws {
        let c = try #require(try classify("raw_data/tse01_20170501_000000.dat"))
        #expect(c.category == "raw/dsm" && c.stream == "tse01")
    }

    @Test func categoryTemplatesExpand() throws {
        let c = try #require(try classify("netcdf/5min/isfs_20170501.nc"))
        #expect(c.category == "netcdf/5min" && c.stream == "5min")
        // No length: one unit of the finest field (a day).
        #expect(c.nameCoverage?.end == Instant(year: 2017, month: 5, day: 2))
    }

    @Test func unmatchedFilesAreOther() throws {
        let c = try #require(try classify("notes/readme.txt"))
        #expect(c.category == "other" && c.time == [.mtime] && c.nameCoverage == nil)
    }

    @Test func ignoredAndSkippedFilesAreLeftOut() throws {
        #expect(try classify("raw_data/.isfs_20170501_000000.dat.swp") == nil)
        #expect(try classify("scratch/a/b.dat") == nil)
    }

    @Test func ignoreOfAWholeTreeIsSeenAtItsDirectory() throws {
        let d = try ContextDefinition(file: "t.toml", text: "ignore = [\".snapshot/**\"]", defaultName: "t")
        #expect(Classifier(d).enter(directory: [Array(".snapshot".utf8)]).isIgnoredEntirely)
        #expect(!Classifier(d).enter(directory: [Array("raw".utf8)]).isIgnoredEntirely)
    }

    @Test func genericRulesFindCommonSpellings() throws {
        let g = Classifier(.generic)
        let cases: [(String, Instant?)] = [
            ("isfs_20230731_0401.dat", Instant(year: 2023, month: 7, day: 31, hour: 4, minute: 1)),
            ("centnet_20120601_000000.dat.bz2", Instant(year: 2012, month: 6, day: 1)),
            ("solo_L1_stix-sci-xray-spec_20200505T235959-20200506T000019_V01.fits", Instant(year: 2020, month: 5, day: 5, hour: 23, minute: 59, second: 59)),
            ("testdata_20161121_00.dat", Instant(year: 2016, month: 11, day: 21)),
            ("hsi_image_20101016_191218.fits", Instant(year: 2010, month: 10, day: 16, hour: 19, minute: 12, second: 18)),
            ("tb.fits", nil),
        ]
        for (name, expected) in cases {
            let c = try #require(g.classify(relativePath: Array(name.utf8)))
            #expect(c.nameCoverage?.start == expected, "\(name)")
        }
    }
}
