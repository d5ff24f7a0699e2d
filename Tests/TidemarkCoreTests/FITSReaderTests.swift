import Foundation
import Testing
@testable import TidemarkCore

/// What a sample file must give: an interval (nil start: no time), and words a note must hold.
struct SampleExpectation: Sendable, CustomTestStringConvertible {
    var name: String
    var start: String?
    var end: String?
    var note: String? = nil
    var testDescription: String { name }
}

@Suite struct FITSReaderTests {
    /// Every file in samples/fits, with the interval derived by hand from its raw keywords.
    static let samples: [SampleExpectation] = [
        // DATE-OBS '2011-02-15T00:00:00.34', no TIMESYS (UTC); end = start + EXPTIME 2.000191 s.
        .init(name: "aia_171_level1.fits", start: "2011-02-15T00:00:00.34Z", end: "2011-02-15T00:00:02.340191Z"),
        // Ext 1: DATE-OBS 17:58:29 and DATE-END 19:45:57 in TIMESYS TT. TT − UTC in 2016-01 = 32.184 + 36 s
        // = 68.184 s → 17:57:20.816 and 19:44:48.816 UTC. TSTART 570218309.89117 s after MJDREF 50814 (1998-01-01)
        // TT = 2016-01-26T17:58:29.891 TT agrees with DATE-OBS within 0.9 s (trusted, but DATE-END comes first).
        .init(name: "chandra_time.fits", start: "2016-01-26T17:57:20.816Z", end: "2016-01-26T19:44:48.816Z", note: "HDU 2"),
        // Only DATE (file write date): no time.
        .init(name: "double_ext.fits", start: nil, end: nil),
        // DATE-OBS '11/03/76' is dd/mm/yy → 1976-03-11, UT '17:38:00.00'; EXPOSURE 70 with comment
        // "Exposure time minutes" → 4200 s → end 18:48:00.
        .init(name: "dss.14.29.56-62.41.05.fits.gz", start: "1976-03-11T17:38:00Z", end: "1976-03-11T18:48:00Z", note: "minutes"),
        // DATE-OBS '2004-03-01T00:00:10.515' + EXPTIME 13.0 s → 00:00:23.515.
        .init(name: "efz20040301.000010_s.fits", start: "2004-03-01T00:00:10.515Z", end: "2004-03-01T00:00:23.515Z"),
        // The same keywords in HDU 2 (COMPRESSED_IMAGE) of the fpack'ed copy.
        .init(name: "efz20040301.000010_s.fits.fz", start: "2004-03-01T00:00:10.515Z", end: "2004-03-01T00:00:23.515Z", note: "HDU 2"),
        // No DATE-OBS; non-standard DATE_OBS 19:12:18 and DATE_END 19:12:22; TIMESYS '1979.00' is no scale (noted, UTC).
        .init(name: "hsi_image_20101016_191218.fits", start: "2010-10-16T19:12:18Z", end: "2010-10-16T19:12:22Z", note: "TIMESYS '1979.00'"),
        // gzip; DATE-OBS 00:00:00.008000 → DATE-END 23:59:59.970997, UTC.
        .init(name: "lyra_20150101-000000_lev3_std_truncated.fits.gz", start: "2015-01-01T00:00:00.008Z", end: "2015-01-01T23:59:59.970997Z"),
        // .Z; DATE-OBS '30/12/91' date only, no TIME-OBS; MJD-OBS 48620.37207 is on that day:
        // 0.37207 d = 32146.848 s = 08:55:46.848; + EXPTIME 1.00 s.
        .init(name: "lzw.fits.Z", start: "1991-12-30T08:55:46.848Z", end: "1991-12-30T08:55:47.848Z", note: "MJD-OBS"),
        // DATE-OBS 2000-07-18T23:03:58, DATE-END 2000-07-19T00:53:18 TT; TT − UTC in 2000 = 32.184 + 32 = 64.184 s.
        .init(name: "memtest.fits", start: "2000-07-18T23:02:53.816Z", end: "2000-07-19T00:52:13.816Z"),
        // Ext 1: TSTART 80000000 s after MJDREFI 55197 + MJDREFF 0.00076601852 (66.184 s) TDB
        // = 2010-01-01T00:01:06.184 + 925 d 80000 s = 2012-07-14T22:14:26.184 TDB; TDB − TT there ≈ −0.28 ms;
        // TT − UTC = 32.184 + 35 s → 22:13:19.000284 UTC. TSTOP 80001025 → +1025 s → 22:30:24.000284.
        .init(name: "monol_testA.evt", start: "2012-07-14T22:13:19.000284Z", end: "2012-07-14T22:30:24.000284Z", note: "SOLARSYSTEM"),
        // Ext 1 SCI (first exposure): DATE-OBS '1998-04-20' + TIME-OBS '18:38:15', EXPTIME 30 → 18:38:45.
        .init(name: "o4sp040b0_raw.fits", start: "1998-04-20T18:38:15Z", end: "1998-04-20T18:38:45Z", note: "HDU 2"),
        // MJD-OBS 55805.089641204 = 2011-09-01 + 0.089641204 d (7745.0000256 s) = 02:09:05.000026; + EXPTIME 120 s.
        .init(name: "sip-wcs_mjd-obs-only.fits", start: "2011-09-01T02:09:05.000026Z", end: "2011-09-01T02:11:05.000026Z"),
        // DATE-BEG 2020-05-05T23:59:59.431 and DATE-END 2020-05-06T00:00:19.431, TIMESYS UTC.
        .init(name: "solo_L1_stix-sci-xray-spec_20200505T235959-20200506T000019_V01_0087031812-50886.fits", start: "2020-05-05T23:59:59.431Z", end: "2020-05-06T00:00:19.431Z"),
        // No time keyword at all.
        .init(name: "tb.fits", start: nil, end: nil),
        // DATE-OBS '2011-08-09' date only and nothing gives the time of day (the UT time sits in CRVAL1):
        // the whole day.
        .init(name: "tca110810_truncated", start: "2011-08-09T00:00:00Z", end: "2011-08-10T00:00:00Z", note: "whole day"),
        // DATE-OBS '19/05/94' → 1994-05-19, TIME-OBS 15:41:16, EXPTIME 0.23 s.
        .init(name: "test0.fits", start: "1994-05-19T15:41:16Z", end: "1994-05-19T15:41:16.23Z"),
        // Tile-compressed, no time keyword.
        .init(name: "test_rice_dither2_seed42.fits.fz", start: nil, end: nil),
        // DATE-OBS '1998-02-24' (date only) in HDU 6 'AIPS UV', within the default 6 HDUs: the whole day.
        .init(name: "zerowidth.fits", start: "1998-02-24T00:00:00Z", end: "1998-02-25T00:00:00Z", note: "HDU 6"),
    ]

    @Test func everyFITSSampleHasAnExpectation() {
        let names = SampleFiles.names(in: "fits")
        #expect(Set(names) == Set(Self.samples.map(\.name)), "samples/fits and the expectations differ")
    }

    @Test(arguments: samples) func sample(_ e: SampleExpectation) throws {
        let reading = try FITSReader().read(path: SampleFiles.path("fits", e.name))
        if let start = e.start, let end = e.end {
            #expect(reading.coverage == Coverage(start: utc(start), end: utc(end)), "\(reading.notes)")
        } else {
            #expect(reading.coverage == nil)
        }
        if let note = e.note {
            #expect(reading.notes.contains { $0.contains(note) }, "notes: \(reading.notes)")
        }
    }

    @Test func resolverPicksFITSByMagic() throws {
        let path = SampleFiles.path("fits", "aia_171_level1.fits")
        let r = CoverageResolver.standard.readHeader(path)
        #expect(r.source == .fits)
        #expect(r.coverage?.start == utc("2011-02-15T00:00:00.34Z"))
    }

    /// bad/: every FITS-named file is refused with a reason, except the valid one with `[` in its name.
    @Test func badFITSFiles() throws {
        let names = SampleFiles.names(in: "bad").filter { $0.hasSuffix(".fits") || $0.hasSuffix(".fz") }
        #expect(names.count == 9)
        for name in names {
            let path = SampleFiles.path("bad", name)
            if name == "resampled_hmi [copy 1].fits" {
                // Opened as a plain disk file, `[copy 1]` is no filter. DATE-OBS 2014-03-01T00:00:27.90, no
                // exposure keyword and no TIMESYS → an instant.
                let r = try FITSReader().read(path: path)
                #expect(r.coverage == Coverage(start: utc("2014-03-01T00:00:27.9Z"), end: utc("2014-03-01T00:00:27.9Z")))
                continue
            }
            let error = #expect(throws: HeaderReadError.self, "\(name)") { try FITSReader().read(path: path) }
            #expect(error?.description.contains(name) == true)
        }
    }

    @Test(arguments: [
        ("._solo_L1_stix-ql-spectra_20200506_V01.fits", "AppleDouble"),
        ("aia_171_level1_cut1000.fits", "less than one 2880-byte"),
        ("aia_171_level1_cut2880.fits", "cfitsio"),
        ("efz20040301.000010_s_cutdata.fits", "truncated"),
        ("empty.fits", "empty"),
        ("idcompspec.fits", "text"),
        ("not_actually_fits.fits", "HTML"),
        ("test_ana.fz", "ANA"),
    ])
    func badFITSMessages(_ name: String, _ words: String) {
        let error = #expect(throws: HeaderReadError.self) { try FITSReader().read(path: SampleFiles.path("bad", name)) }
        #expect(error?.description.contains(words) == true, "\(String(describing: error))")
    }

    /// Every sample cut at every 2880-byte block boundary short of its end: an error, never a
    /// crash. A cut exactly where an HDU ends leaves a valid FITS file with fewer HDUs: that
    /// one must read without error.
    @Test func truncatedAtEveryBlock() throws {
        let scratch = try ScratchFolder()
        for name in SampleFiles.names(in: "fits") where !name.hasSuffix(".gz") && !name.hasSuffix(".Z") {
            let bytes = try [UInt8](Data(contentsOf: SampleFiles.root.appendingPathComponent("fits/\(name)")))
            let whole = Self.hduEnds(bytes)
            #expect(whole.last == bytes.count, "\(name): HDU ends \(whole)")
            var cut = 0
            while cut < bytes.count {
                let path = try scratch.write("cut.fits", Array(bytes.prefix(cut)))
                if whole.contains(cut) {
                    #expect(throws: Never.self, "\(name) cut at HDU end \(cut)") { try FITSReader().read(path: path) }
                } else {
                    #expect(throws: HeaderReadError.self, "\(name) cut at \(cut)") { try FITSReader().read(path: path) }
                }
                cut += 2880
            }
        }
    }

    /// Where each HDU ends, from the header cards (BITPIX, NAXISn, PCOUNT, GCOUNT), parsed here
    /// independently of cfitsio.
    static func hduEnds(_ b: [UInt8]) -> [Int] {
        var ends: [Int] = []
        var at = 0
        while at + 2880 <= b.count {
            var cards: [String: Int] = [:]
            var pos = at
            var ended = false
            while pos + 80 <= b.count && !ended {
                let card = String(decoding: b[pos..<(pos + 80)], as: UTF8.self)
                pos += 80
                let key = card.prefix(8).trimmingCharacters(in: .whitespaces)
                if key == "END" { ended = true; break }
                if card.dropFirst(8).hasPrefix("= "), cards[key] == nil {
                    let value = card.dropFirst(10).split(separator: "/").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                    if let v = Int(value) { cards[key] = v }
                }
            }
            guard ended else { break }
            let dataStart = (pos + 2879) / 2880 * 2880
            let naxis = cards["NAXIS"] ?? 0
            var count = naxis == 0 ? 0 : 1
            for i in 1...max(naxis, 1) where naxis > 0 {
                let n = cards["NAXIS\(i)"] ?? 0
                if i == 1 && n == 0 && naxis > 1 { continue }  // random groups
                count *= n
            }
            let size = abs(cards["BITPIX"] ?? 8) / 8 * (cards["GCOUNT"] ?? 1) * ((cards["PCOUNT"] ?? 0) + count)
            at = dataStart + (size + 2879) / 2880 * 2880
            ends.append(at)
        }
        return ends
    }

    /// A gzip'ed FITS cut short: the prefix limit never reaches the cut, so it is an error.
    @Test func truncatedCompressed() throws {
        let scratch = try ScratchFolder()
        for name in ["dss.14.29.56-62.41.05.fits.gz", "lzw.fits.Z", "lyra_20150101-000000_lev3_std_truncated.fits.gz"] {
            let bytes = try [UInt8](Data(contentsOf: SampleFiles.root.appendingPathComponent("fits/\(name)")))
            for cut in [0, 1, 2, 3, 10, 100, bytes.count / 2, bytes.count - 9] {
                let path = try scratch.write("cut-" + name, Array(bytes.prefix(cut)))
                #expect(throws: HeaderReadError.self, "\(name) cut at \(cut)") { try FITSReader().read(path: path) }
            }
        }
    }

    /// With a small prefix limit only the leading blocks are decompressed, and the primary header still reads.
    @Test func compressedPrefixOnly() throws {
        let reader = FITSReader(compressedPrefixLimit: 2880 * 5)
        let r = try reader.read(path: SampleFiles.path("fits", "dss.14.29.56-62.41.05.fits.gz"))
        #expect(r.coverage?.start == utc("1976-03-11T17:38:00Z"))
        let z = try reader.read(path: SampleFiles.path("fits", "lzw.fits.Z"))
        #expect(z.coverage?.start == utc("1991-12-30T08:55:46.848Z"))
    }

    /// The .Z decoder agrees byte for byte with gzip's.
    @Test func unixCompressMatchesGzip() throws {
        let path = SampleFiles.root.appendingPathComponent("fits/lzw.fits.Z").path
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -dc < \"$0\"", path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let expected = [UInt8](pipe.fileHandleForReading.readDataToEndOfFile())
        gzip.waitUntilExit()
        let file = try ReadOnlyFile(path: Array(path.utf8))
        let ours = try CompressedPrefix.uncompress(file, limit: 1 << 30, format: .fits)
        #expect(ours.complete)
        #expect(ours.bytes == expected)
    }

    @Test func maxHDUsStopsTheSearch() throws {
        // zerowidth.fits has its only DATE-OBS in HDU 6.
        let r = try FITSReader(maxHDUs: 4).read(path: SampleFiles.path("fits", "zerowidth.fits"))
        #expect(r.coverage == nil)
        #expect(r.notes.contains("no time keywords in the first 4 HDUs"))
    }

    @Test func garbageAndOddInputs() throws {
        let scratch = try ScratchFolder()
        var rng = SystemRandomNumberGenerator()
        let garbage = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for (name, bytes) in [("g.fits", garbage), ("z.fits", []), ("simple.fits", Array("SIMPLE  =".utf8) + garbage),
                              ("gz.fits.gz", [0x1f, 0x8b] + garbage), ("z.fits.Z", [0x1f, 0x9d, 0x90] + garbage)] {
            let path = try scratch.write(name, bytes)
            #expect(throws: HeaderReadError.self, "\(name)") { try FITSReader().read(path: path) }
        }
        #expect(throws: HeaderReadError.self) { try FITSReader().read(path: Array("/nonexistent/x.fits".utf8)) }
        #expect(throws: HeaderReadError.self) { try FITSReader().read(path: Array(scratch.url.path.utf8)) }
    }

    @Test func recognizes() {
        let r = FITSReader()
        #expect(r.recognizes(magic: Array("SIMPLE  ".utf8), path: Array("x".utf8)))
        #expect(r.recognizes(magic: [0x1f, 0x8b, 8, 0], path: Array("/a/b.fits.gz".utf8)))
        #expect(!r.recognizes(magic: [0x1f, 0x8b, 8, 0], path: Array("/a/b.tar.gz".utf8)))
        #expect(!r.recognizes(magic: Array("<html>  ".utf8), path: Array("/a/b.fits".utf8)))
    }

    /// One fitsfile per thread: the same files read on several threads give the same answers.
    @Test func readsInParallel() throws {
        let names = Self.samples.map(\.name)
        let paths = (0..<8).flatMap { _ in names.map { SampleFiles.path("fits", $0) } }
        let results = CoverageResolver.standard.readHeaders(paths, threads: 4)
        for (i, r) in results.enumerated() {
            let e = Self.samples[i % names.count]
            #expect(r.resolved.coverage?.start == e.start.map(utc), "\(e.name)")
        }
    }
}

/// Inputs found by fuzzing that crashed a library; each must now be a clean error.
@Suite struct FITSFuzzFindings {
    /// A tile-compressed header with `ZTILE1 = 0` made cfitsio 4.2 divide by zero (SIGFPE)
    /// in imcomp_get_compressed_image_par when moving to the HDU.
    @Test func zeroTileSize() throws {
        let bytes = try [UInt8](Data(contentsOf: SampleFiles.root.appendingPathComponent("fits/test_rice_dither2_seed42.fits.fz")))
        var cut = bytes
        for at in Swift.stride(from: 0, to: bytes.count - 80, by: 80) where bytes[at..<(at + 8)].elementsEqual(Array("ZTILE1  ".utf8)) {
            cut.replaceSubrange((at + 10)..<(at + 30), with: Array("                   0".utf8))
        }
        #expect(cut != bytes)
        let scratch = try ScratchFolder()
        let error = #expect(throws: HeaderReadError.self) { try FITSReader().read(path: scratch.write("z.fits.fz", cut)) }
        #expect(error?.description.contains("ZTILE1") == true, "\(String(describing: error))")
        #expect(FITSHeaderGuard.danger(in: Array(bytes[2880...])) == nil)
    }
}

extension FITSFuzzFindings {
    /// A TTYPEn with an unquoted 70-byte value made cfitsio 4.2's ffgtbp overflow a 70-byte
    /// column name when moving to the table (glibc aborted: "buffer overflow detected").
    @Test(arguments: [10, 9]) func unquotedLongColumnName(_ from: Int) throws {
        // From column 11 as usual, and from column 10 (no blank after '='), a second find.
        let bytes = try [UInt8](Data(contentsOf: SampleFiles.root.appendingPathComponent("fits/chandra_time.fits")))
        var cut = bytes
        var done = false
        for at in Swift.stride(from: 2880, to: bytes.count - 80, by: 80) where !done && bytes[at..<(at + 5)].elementsEqual(Array("TTYPE".utf8)) {
            cut.replaceSubrange((at + from)..<(at + 80), with: [UInt8](repeating: 0x6e, count: 80 - from))
            done = true
        }
        #expect(done)
        let scratch = try ScratchFolder()
        let error = #expect(throws: HeaderReadError.self) { try FITSReader().read(path: scratch.write("t.fits", cut)) }
        #expect(error?.description.contains("TTYPE") == true, "\(String(describing: error))")
    }
}

extension FITSFuzzFindings {
    /// A blank ZTILE2 and a garbled ZIMAGE value (which cfitsio still takes as true) made
    /// cfitsio 4.2 divide by zero again: tile keywords that are not positive integers are refused.
    @Test func blankTileSize() throws {
        let bytes = try [UInt8](Data(contentsOf: SampleFiles.root.appendingPathComponent("fits/test_rice_dither2_seed42.fits.fz")))
        var cut = bytes
        for at in Swift.stride(from: 0, to: bytes.count - 80, by: 80) {
            if bytes[at..<(at + 8)].elementsEqual(Array("ZTILE2  ".utf8)) {
                cut.replaceSubrange((at + 10)..<(at + 30), with: [UInt8](repeating: 0x20, count: 20))
            }
            if bytes[at..<(at + 8)].elementsEqual(Array("ZIMAGE  ".utf8)) {
                cut.replaceSubrange((at + 14)..<(at + 16), with: [0xe3, 0xdf])
            }
        }
        let scratch = try ScratchFolder()
        let error = #expect(throws: HeaderReadError.self) { try FITSReader().read(path: scratch.write("b.fits.fz", cut)) }
        #expect(error?.description.contains("ZTILE2") == true, "\(String(describing: error))")
    }
}
