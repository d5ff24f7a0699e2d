import Foundation
import Testing
@testable import TidemarkCore

@Suite struct NetCDFReaderTests {
    /// Every file in samples/netcdf, with the interval derived by hand from its raw attributes.
    static let samples: [SampleExpectation] = [
        // time(1) int is all fill (-2147483647) → ACDD '20160918T181648Z' … '20160919T231803Z' (basic ISO).
        .init(name: "20160919092000-ABOM-L3S_GHRSST-SSTfnd-AVHRR_D-1d_dn_truncate.nc", start: "2016-09-18T18:16:48Z", end: "2016-09-19T23:18:03Z", note: "only fill"),
        // time short 12, 'hours since 1996-1-1' → 1996-01-01T12:00:00, one value: an instant.
        .init(name: "example_1.nc", start: "1996-01-01T12:00:00Z", end: "1996-01-01T12:00:00Z"),
        // time 30480.0 … 32156.0 'seconds since 2011-05-20 00:00:00 0:00' → 08:28:00 … 08:55:56;
        // base_time 1305880080 (2011-05-20T08:28:00Z) + time_offset 0 … 1676 agrees (no note).
        .init(name: "example_arm_sonde.cdf", start: "2011-05-20T08:28:00Z", end: "2011-05-20T08:55:56Z"),
        // time values 29 … 1 (unsorted) 'seconds since 2011-05-20T11:35:37Z' → min 1 = 11:35:38, max 29 = 11:36:06.
        .init(name: "example_cfradial_rhi.nc", start: "2011-05-20T11:35:38Z", end: "2011-05-20T11:36:06Z"),
        // float32 time 'seconds since 1970-01-01': stored 1406689152 … 1406703616 (5 fill values dropped)
        // = 2014-07-30T02:59:12Z … 07:00:16Z.
        .init(name: "ints64.nc", start: "2014-07-30T02:59:12Z", end: "2014-07-30T07:00:16Z", note: "32-bit float"),
        // time has 0 records and ACDD start/end are empty strings: no time.
        .init(name: "ioos_1_1.nc", start: nil, end: nil),
        // time 1427322017 'seconds since 1970-01-01 00:00:00 UTC', calendar julian: the julian label
        // 2015-03-25T22:20:17 is taken as that date (not +13 days), which ACDD's '2015-03-25T22:20:17Z' confirms.
        .init(name: "ncei_gold_point_2.nc", start: "2015-03-25T22:20:17Z", end: "2015-03-25T22:20:17Z", note: "julian"),
        // time has 0 records, no ACDD: no time.
        .init(name: "netcdf_dummy_file.nc", start: nil, end: nil),
        // time 599659200 … 599662200 'seconds since 2000-01-01 12:00:00' = 6940.5 days → 2019-01-02T00:00:00
        // … +3000 s = 00:50:00. ACDD says the whole day (the file is truncated): noted.
        .init(name: "sci_xrsf-l2-avg1m_g15_d20190102_truncated.nc", start: "2019-01-02T00:00:00Z", end: "2019-01-02T00:50:00Z", note: "ACDD"),
        // time 662811600 … 662817540 'seconds since 2000-01-01T12:00:00' = 7671 d + 37200 s → 2021-01-01T22:20:00
        // … +5940 s = 23:59:00. ACDD (NC_STRING) says 2021-01-01T00:00 … 2021-01-02T00:00: noted.
        .init(name: "sci_xrsf-l2-avg1m_g16_d20210101_truncated.nc", start: "2021-01-01T22:20:00Z", end: "2021-01-01T23:59:00Z", note: "ACDD"),
        // netCDF-4; time all fill → ACDD doubles 1428728400.0 / 1428809400.0 s since 1970 = 2015-04-11T05:00Z / 2015-04-12T03:30Z.
        .init(name: "sldmb_43093_agg.nc", start: "2015-04-11T05:00:00Z", end: "2015-04-12T03:30:00Z", note: "is a number"),
        // time all fill (NaN missing_value) → ACDD start '2013-02-18T21:00:00Z', no end and no duration: an instant.
        .init(name: "swan.nc", start: "2013-02-18T21:00:00Z", end: "2013-02-18T21:00:00Z", note: "ACDD"),
    ]

    @Test func everyNetCDFSampleHasAnExpectation() {
        #expect(Set(SampleFiles.names(in: "netcdf")) == Set(Self.samples.map(\.name)))
    }

    @Test(arguments: samples) func sample(_ e: SampleExpectation) throws {
        let reading = try NetCDFReader().read(path: SampleFiles.path("netcdf", e.name))
        if let start = e.start, let end = e.end {
            #expect(reading.coverage == Coverage(start: utc(start), end: utc(end)), "\(reading.notes)")
        } else {
            #expect(reading.coverage == nil, "\(reading.notes)")
        }
        if let note = e.note { #expect(reading.notes.contains { $0.contains(note) }, "notes: \(reading.notes)") }
    }

    @Test func armSondeHasNoDisagreement() throws {
        let r = try NetCDFReader().read(path: SampleFiles.path("netcdf", "example_arm_sonde.cdf"))
        #expect(r.notes.isEmpty, "\(r.notes)")
    }

    @Test(arguments: [
        ("bad_magic.nc", "corrupt classic netCDF header"),
        ("empty.nc", "empty"),
        ("example_arm_sonde_cut1000.cdf", "the header is cut off at byte 1000"),
        ("example_arm_sonde_cut20000.cdf", "truncated: the header describes 101032 bytes of data (839 records) but the file has 20000"),
        ("psp_fld_l2_mag_rtn_1min_20200104_v02.cdf", "NASA CDF"),
        ("sci_xrsf-l2-avg1m_g15_d20190102_cut30000.nc", "truncated: the HDF5 superblock says the file is 75990 bytes but it has 30000 (netCDF-C: NetCDF: HDF error)"),
    ])
    func badNetCDF(_ name: String, _ words: String) {
        let error = #expect(throws: HeaderReadError.self) { try NetCDFReader().read(path: SampleFiles.path("bad", name)) }
        #expect(error?.description.contains(words) == true, "\(String(describing: error))")
        #expect(error?.description.contains(name) == true)
    }

    @Test func everyBadNetCDFNamedFileFails() {
        for name in SampleFiles.names(in: "bad") where name.hasSuffix(".nc") || name.hasSuffix(".cdf") {
            #expect(throws: HeaderReadError.self, "\(name)") { try NetCDFReader().read(path: SampleFiles.path("bad", name)) }
        }
    }

    @Test func notNetCDF() throws {
        for (folder, name) in [("fits", "tb.fits"), ("bad", "not_actually_fits.fits"), ("nidas", "dsm12.dat")] {
            #expect(throws: HeaderReadError.self) { try NetCDFReader().read(path: SampleFiles.path(folder, name)) }
        }
    }

    /// Every classic sample cut anywhere short of its data's end: netCDF-C would read zeros; we
    /// refuse. (ncgen leaves some files longer than their data: cuts past the data are whole files.)
    @Test func classicCutInsideData() throws {
        let scratch = try ScratchFolder()
        var checked = 0
        for e in Self.samples {
            let bytes = try [UInt8](Data(contentsOf: SampleFiles.root.appendingPathComponent("netcdf/\(e.name)")))
            guard bytes.starts(with: Array("CDF".utf8)) else { continue }
            let layout = try NetCDFClassicLayout.parse(bytes, wholeFile: true)
            #expect(layout.dataEnd <= Int64(bytes.count), "\(e.name)")
            if e.name == "example_arm_sonde.cdf" { #expect(layout.dataEnd == 101_032) }  // its whole size
            let end = Int(layout.dataEnd)
            let step = max(1, end / 40)
            for cut in Swift.stride(from: 1, to: end, by: step) + [end - 1] {
                let path = try scratch.write("cut.nc", Array(bytes.prefix(cut)))
                #expect(throws: HeaderReadError.self, "\(e.name) cut at \(cut)") { try NetCDFReader().read(path: path) }
                checked += 1
            }
            let whole = try scratch.write("whole.nc", Array(bytes.prefix(end)))
            #expect(throws: Never.self, "\(e.name) cut at its data end") { try NetCDFReader().read(path: whole) }
        }
        #expect(checked > 200)
    }

    /// The superblock's end-of-file address (versions 0 and 2 among the samples) is the file size.
    @Test func hdf5SuperblockEnd() throws {
        var checked = 0
        for e in Self.samples {
            let bytes = try [UInt8](Data(contentsOf: SampleFiles.root.appendingPathComponent("netcdf/\(e.name)")))
            guard bytes.starts(with: NetCDFReader.hdf5Magic) else { continue }
            #expect(HDF5Superblock.declaredEnd(bytes) == Int64(bytes.count), "\(e.name)")
            checked += 1
        }
        #expect(checked == 4)
        #expect(HDF5Superblock.declaredEnd(Array(NetCDFReader.hdf5Magic) + [9]) == nil)
    }

    // MARK: - Made files

    func read(_ w: ClassicNetCDFWriter) throws -> CoverageReading {
        let scratch = try ScratchFolder()
        return try NetCDFReader().read(path: scratch.write("made.nc", w.bytes()))
    }

    /// NCAR ISFS: 5-minute averages stamped at their midpoints; `interval(sec)` = 300.
    @Test func isfsIntervalWidensCoverage() throws {
        var w = ClassicNetCDFWriter()
        w.dimensions = [("time", 0)]
        w.records = 3
        w.variables = [
            .init(name: "base_time", dimensions: [], attributes: [("units", .chars("seconds since 1970-01-01 00:00:00 00:00"))], data: .ints([1_690_761_600])),
            .init(name: "time", dimensions: [0], attributes: [("units", .chars("seconds since 2023-07-31 00:00:00 00:00")), ("interval(sec)", .floats([300]))], data: .doubles([150, 450, 750])),
        ]
        let r = try read(w)
        // 150 s − 150 = 00:00:00; 750 s + 150 = 00:15:00.
        #expect(r.coverage == Coverage(start: utc("2023-07-31T00:00:00Z"), end: utc("2023-07-31T00:15:00Z")), "\(r.notes)")
        #expect(r.notes.contains { $0.contains("midpoints") })
    }

    @Test func timeVariableFoundByAxisOrStandardName() throws {
        for (attribute, value) in [("axis", "T"), ("standard_name", "time")] {
            var w = ClassicNetCDFWriter()
            w.dimensions = [("obs", 2)]
            w.variables = [.init(name: "t", dimensions: [0], attributes: [(attribute, .chars(value)), ("units", .chars("days since 2000-01-01"))], data: .doubles([1, 2.5]))]
            #expect(try read(w).coverage == Coverage(start: utc("2000-01-02T00:00:00Z"), end: utc("2000-01-03T12:00:00Z")))
        }
    }

    @Test func fillMissingAndValidRangeDropped() throws {
        var w = ClassicNetCDFWriter()
        w.dimensions = [("time", 6)]
        w.variables = [.init(name: "time", dimensions: [0], attributes: [
            ("units", .chars("hours since 2020-02-28 00:00")), ("_FillValue", .doubles([-1])),
            ("missing_value", .doubles([9999])), ("valid_max", .doubles([1000])),
        ], data: .doubles([-1, 24, 9999, 48, 5000, .nan]))]
        // 24 h → 2020-02-29 (leap day), 48 h → 2020-03-01; -1, 9999, 5000 (> valid_max) and NaN dropped.
        #expect(try read(w).coverage == Coverage(start: utc("2020-02-29T00:00:00Z"), end: utc("2020-03-01T00:00:00Z")))
    }

    @Test func defaultFillDroppedWithoutFillValue() throws {
        var w = ClassicNetCDFWriter()
        w.dimensions = [("time", 3)]
        w.variables = [.init(name: "time", dimensions: [0], attributes: [("units", .chars("seconds since 1970-01-01"))], data: .ints([10, -2_147_483_647, 20]))]
        #expect(try read(w).coverage == Coverage(start: Instant(seconds: 10), end: Instant(seconds: 20)))
    }

    @Test func noLeapAnd360DayCalendars() throws {
        for (calendar, value, expected) in [("noleap", 59.0, "2001-03-01T00:00:00Z"), ("360_day", 59.0, "2001-02-28T00:00:00Z"), ("all_leap", 59.0, "2001-02-28T00:00:00Z")] {
            var w = ClassicNetCDFWriter()
            w.dimensions = [("time", 1)]
            w.variables = [.init(name: "time", dimensions: [0], attributes: [("units", .chars("days since 2001-01-01")), ("calendar", .chars(calendar))], data: .doubles([value]))]
            // noleap: 31 + 28 days → Mar 1. 360_day: day 59 = Feb 30 → Gregorian Feb 28 (last day). all_leap: Feb 29 2001 → Feb 28.
            let r = try read(w)
            #expect(r.coverage?.start == utc(expected), "\(calendar): \(r.notes)")
            #expect(r.notes.contains { $0.contains("labels") })
        }
    }

    @Test func baseTimePlusOffsetWhenNoTimeVariable() throws {
        var w = ClassicNetCDFWriter()
        w.dimensions = [("time", 0)]
        w.records = 2
        w.variables = [
            .init(name: "base_time", dimensions: [], data: .ints([1_305_880_080])),
            .init(name: "time_offset", dimensions: [0], attributes: [("units", .chars("seconds since 2011-05-20 08:28:00 0:00"))], data: .doubles([0, 1676])),
        ]
        let r = try read(w)
        #expect(r.coverage == Coverage(start: utc("2011-05-20T08:28:00Z"), end: utc("2011-05-20T08:55:56Z")))
        #expect(r.notes.first == "time from base_time + time_offset")
    }

    @Test func acddDurationAndDisagreement() throws {
        var w = ClassicNetCDFWriter()
        w.attributes = [("time_coverage_start", .chars("2015-04-11T05:00:00Z")), ("time_coverage_duration", .chars("PT1H30M"))]
        #expect(try read(w).coverage == Coverage(start: utc("2015-04-11T05:00:00Z"), end: utc("2015-04-11T06:30:00Z")))

        w.dimensions = [("time", 2)]
        w.variables = [.init(name: "time", dimensions: [0], attributes: [("units", .chars("minutes since 2015-04-11 05:00"))], data: .doubles([0, 60]))]
        let r = try read(w)
        #expect(r.coverage == Coverage(start: utc("2015-04-11T05:00:00Z"), end: utc("2015-04-11T06:00:00Z")))
        #expect(r.notes.contains { $0.contains("ACDD") && $0.contains("disagrees") }, "\(r.notes)")
    }

    @Test func unreadableUnitsAreNoted() throws {
        var w = ClassicNetCDFWriter()
        w.dimensions = [("time", 1)]
        w.variables = [.init(name: "time", dimensions: [0], attributes: [("units", .chars("fortnights since the flood"))], data: .doubles([1]))]
        let r = try read(w)
        #expect(r.coverage == nil)
        #expect(r.notes.contains { $0.contains("cannot read") }, "\(r.notes)")
    }

    @Test func writerMakesFilesNetCDFCReads() throws {
        // The same base_time file cut one byte short of its data: refused.
        var w = ClassicNetCDFWriter()
        w.dimensions = [("time", 0)]
        w.records = 2
        w.variables = [.init(name: "time", dimensions: [0], attributes: [("units", .chars("seconds since 1970-01-01"))], data: .doubles([1, 2]))]
        let scratch = try ScratchFolder()
        let bytes = w.bytes()
        #expect(try NetCDFReader().read(path: scratch.write("whole.nc", bytes)).coverage == Coverage(start: Instant(seconds: 1), end: Instant(seconds: 2)))
        let cut = try scratch.write("cut.nc", Array(bytes.dropLast(1)))
        #expect(throws: HeaderReadError.self) { try NetCDFReader().read(path: cut) }
    }

    /// netCDF-C behind its lock, from four threads at once, mixed with FITS.
    @Test func readsFromManyThreads() throws {
        let names = Self.samples.map { ("netcdf", $0.name) } + FITSReaderTests.samples.map { ("fits", $0.name) }
        let paths = (0..<6).flatMap { _ in names.map { SampleFiles.path($0.0, $0.1) } }
        let results = CoverageResolver.standard.readHeaders(paths, threads: 4)
        let expected = Self.samples + FITSReaderTests.samples
        for (i, r) in results.enumerated() {
            let e = expected[i % expected.count]
            #expect(r.resolved.coverage?.start == e.start.map(utc), "\(e.name): \(r.resolved.error ?? "")")
        }
    }
}
