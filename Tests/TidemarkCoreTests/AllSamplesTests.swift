import Testing
@testable import TidemarkCore

/// Every file under samples/*/ through the standard resolver, the way `tidemark inspect`
/// reads them (reader chosen by magic bytes): an interval, or an error that says why.
@Suite struct AllSamplesTests {
    @Test func everySampleGivesAnIntervalOrAnError() {
        let folders = ["fits", "netcdf", "nidas", "bad"]
        var seen = 0
        for folder in folders {
            for name in SampleFiles.names(in: folder) {
                let r = CoverageResolver.standard(readNIDASTimeTags: true).readHeader(SampleFiles.path(folder, name))
                seen += 1
                if folder == "bad" && name != "resampled_hmi [copy 1].fits" {
                    #expect(r.coverage == nil, "\(folder)/\(name)")
                    #expect(r.error?.isEmpty == false, "\(folder)/\(name) gave no reason")
                } else {
                    #expect(r.coverage != nil || r.error?.isEmpty == false, "\(folder)/\(name)")
                }
            }
        }
        #expect(seen == 63, "the samples README lists 63 files")
    }

    /// bad/ holds only names the FITS and netCDF tests cover.
    @Test func badFolderIsCovered() {
        for name in SampleFiles.names(in: "bad") {
            #expect([".fits", ".fz", ".nc", ".cdf"].contains { name.hasSuffix($0) }, "\(name) is checked by no test")
        }
    }
}
