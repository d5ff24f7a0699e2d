import Testing
@testable import TidemarkCore

/// Every file under samples/*/ through the standard resolver, the way `tidemark inspect`
/// reads them (reader chosen by magic bytes): an interval from the reader of its format, or
/// an error that says why.
@Suite struct AllSamplesTests {
    /// Samples whose headers carry no observation time (see the samples README): they must
    /// give no coverage. Every other file of fits/, netcdf/ and nidas/ must give one.
    static let timeless: Set<String> = [
        "fits/double_ext.fits", "fits/tb.fits", "fits/test_rice_dither2_seed42.fits.fz",
        "netcdf/ioos_1_1.nc", "netcdf/netcdf_dummy_file.nc",
    ]
    /// The one valid file in bad/: only its name is odd.
    static let validInBad = "bad/resampled_hmi [copy 1].fits"
    static let reader: [String: TimeSource] = ["fits": .fits, "netcdf": .netcdf, "nidas": .nidasSamples]

    @Test func everySampleGivesAnIntervalOrAnError() {
        var seen = 0
        for folder in ["fits", "netcdf", "nidas", "bad"] {
            for name in SampleFiles.names(in: folder) {
                let file = "\(folder)/\(name)"
                let r = CoverageResolver.standard(readNIDASTimeTags: true).readHeader(SampleFiles.path(folder, name))
                seen += 1
                if folder == "bad" && file != Self.validInBad {
                    #expect(r.coverage == nil, "\(file) gave a coverage")
                    // The reader its bytes or name chose says what is wrong.
                    #expect(["fits: ", "netcdf: "].contains { r.error?.hasPrefix($0) == true }, "\(file): \(r.error ?? "no reason")")
                } else if Self.timeless.contains(file) {
                    #expect(r.coverage == nil && r.error == "no time found", "\(file): \(r.error ?? "gave a coverage")")
                } else if let c = r.coverage {
                    #expect(c.start <= c.end, "\(file): the coverage ends before it starts")
                    #expect(r.source == Self.reader[folder] ?? .fits, "\(file) was read as \(r.source.rawValue)")
                    #expect(r.error == nil, "\(file): \(r.error ?? "")")
                } else {
                    Issue.record("\(file) carries time information but gave no coverage: \(r.error ?? "no reason")")
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
