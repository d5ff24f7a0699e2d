import Foundation
import Testing
@testable import TidemarkCore

struct NIDASExpectation: Sendable, CustomTestStringConvertible {
    var name: String
    var archiveVersion: String
    var project: String
    var system: String
    /// Least and greatest time tag, µs since 1970 (the README's first and last tags: none
    /// of the step-backs goes below the first tag).
    var first: Int64
    var last: Int64
    var samples: Int
    var note: String? = nil
    var testDescription: String { name }
}

@Suite struct NIDASReaderTests {
    /// Every file in samples/nidas; tags from the raw 16-byte sample headers, counted by hand
    /// (the README's table).
    static let samples: [NIDASExpectation] = [
        .init(name: "centnet_20120601_000000.dat", archiveVersion: "1", project: "CentNet", system: "ISFF", first: 1_338_508_800_053_105, last: 1_338_508_809_981_786, samples: 400),
        .init(name: "centnet_20120601_000000.dat.bz2", archiveVersion: "1", project: "CentNet", system: "ISFF", first: 1_338_508_800_053_105, last: 1_338_508_809_981_786, samples: 400),
        .init(name: "centnet_20151104_120000.dat.bz2", archiveVersion: "1", project: "CentNet", system: "ISFF", first: 1_446_638_400_020_810, last: 1_446_638_409_920_661, samples: 100),
        .init(name: "channel2_20230920_005950.dat", archiveVersion: "1", project: "M2HATS", system: "ISFS", first: 1_695_171_590_845_000, last: 1_695_171_609_845_000, samples: 60, note: "1 time tag step back"),
        .init(name: "dsm12.dat", archiveVersion: "1", project: "Perdigao", system: "ISFS", first: 1_468_260_000_000_000, last: 1_468_260_000_061_000, samples: 3),
        .init(name: "dsm13.dat", archiveVersion: "1", project: "Perdigao", system: "ISFS", first: 1_468_260_000_000_000, last: 1_468_260_000_061_000, samples: 3),
        .init(name: "dsm_20060908_200303.ads", archiveVersion: "1", project: "TrailCone", system: "GV_N677F", first: 1_157_745_783_100_000, last: 1_157_745_787_500_000, samples: 1347, note: "9-byte partial"),
        .init(name: "isff_20060331_000000.dat", archiveVersion: "0", project: "TREX", system: "ISFF", first: 1_143_763_200_001_029, last: 1_143_763_200_257_555, samples: 333, note: "6-byte partial"),
        .init(name: "isff_20060401_000000.dat", archiveVersion: "0", project: "TREX", system: "ISFF", first: 1_143_849_600_002_972, last: 1_143_849_600_254_677, samples: 326, note: "14-byte partial"),
        .init(name: "isff_20060402_160000.dat", archiveVersion: "0", project: "TREX", system: "ISFF", first: 1_143_993_600_000_431, last: 1_143_993_600_289_701, samples: 327, note: "13-byte partial"),
        .init(name: "isfs_20230731_0401.dat", archiveVersion: "1", project: "M2HATS", system: "ISFS", first: 1_690_776_060_000_103, last: 1_690_776_119_998_259, samples: 35211),
        .init(name: "isfs_20230731_0401.dat.bz2", archiveVersion: "1", project: "M2HATS", system: "ISFS", first: 1_690_776_060_000_103, last: 1_690_776_119_998_259, samples: 35211),
        .init(name: "isfs_x_20230315_000000.dat", archiveVersion: "1", project: "SOS", system: "ISFS", first: 1_678_838_460_004_625, last: 1_678_838_489_991_622, samples: 1845),
        .init(name: "isfs_x_20230315_000000.dat.bz2", archiveVersion: "1", project: "SOS", system: "ISFS", first: 1_678_838_460_004_625, last: 1_678_838_489_991_622, samples: 1845),
        .init(name: "marshall_ttt_20250527_120000_30s.dat", archiveVersion: "1", project: "MARSHALL2023", system: "ISFS", first: 1_748_347_200_007_290, last: 1_748_347_229_978_175, samples: 3331),
        .init(name: "t2_20230731_0401.dat.bz2", archiveVersion: "1", project: "M2HATS", system: "ISFS", first: 1_690_776_060_003_053, last: 1_690_776_119_994_322, samples: 11246),
        .init(name: "testdata_20161121_00.dat", archiveVersion: "1", project: "EOL Weather Stations", system: "EOL", first: 1_479_686_400_004_489, last: 1_479_686_404_993_676, samples: 175),
    ]

    @Test func everyNIDASSampleHasAnExpectation() {
        #expect(Set(SampleFiles.names(in: "nidas")) == Set(Self.samples.map(\.name)))
    }

    @Test(arguments: samples) func header(_ e: NIDASExpectation) throws {
        let path = SampleFiles.path("nidas", e.name)
        let h = try NIDASReader().readHeader(path: path)
        #expect(h.identity == "NIDAS (ncar.ucar.edu)")
        #expect(h.archiveVersion == e.archiveVersion)
        #expect(h.projectName == e.project)
        #expect(h.systemName == e.system)
        #expect(h.configName != nil && h.configVersion != nil && h.softwareVersion != nil)
        // By default: no coverage (the header has no time), the header in the notes.
        let r = try NIDASReader().read(path: path)
        #expect(r.coverage == nil)
        #expect(r.notes == [h.summary])
    }

    @Test(arguments: samples) func timeTags(_ e: NIDASExpectation) throws {
        let r = try NIDASReader(readTimeTags: true).read(path: SampleFiles.path("nidas", e.name))
        #expect(r.coverage == Coverage(start: Instant(microseconds: e.first), end: Instant(microseconds: e.last)), "\(r.notes)")
        #expect(r.notes.contains { $0.hasPrefix("\(e.samples) samples") }, "\(r.notes)")
        if let note = e.note { #expect(r.notes.contains { $0.contains(note) }, "\(r.notes)") }
    }

    @Test func recognizes() {
        let r = NIDASReader()
        #expect(r.recognizes(magic: Array("NIDAS (n".utf8), path: Array("x".utf8)))
        #expect(r.recognizes(magic: Array("NCAR ADS".utf8), path: Array("x".utf8)))
        #expect(r.recognizes(magic: Array("BZh91AY&".utf8), path: Array("/d/isfs_20230731_0401.dat.bz2".utf8)))
        #expect(!r.recognizes(magic: Array("BZh91AY&".utf8), path: Array("/d/x.tar.bz2".utf8)))
        #expect(CoverageResolver.standard(readNIDASTimeTags: true).readHeader(SampleFiles.path("nidas", "dsm12.dat")).coverage?.start == Instant(microseconds: 1_468_260_000_000_000))
    }

    // MARK: - Made files

    static let header = Array("NIDAS (ncar.ucar.edu)\narchive version: 1\nsoftware version: v1\nproject name: TEST\nsystem name: ISFS\nconfig name: t.xml\nconfig version: 1\nend header\n".utf8)

    static func sample(_ tag: Int64, _ data: [UInt8], id: UInt32 = 0x10001) -> [UInt8] {
        let t = UInt64(bitPattern: tag)
        return (0..<8).map { UInt8(truncatingIfNeeded: t >> (8 * UInt64($0))) }
            + (0..<4).map { UInt8(truncatingIfNeeded: UInt32(data.count) >> (8 * UInt32($0))) }
            + (0..<4).map { UInt8(truncatingIfNeeded: id >> (8 * UInt32($0))) } + data
    }

    @Test func tagsSteppingBelowTheFirstAndAPartialSample() throws {
        let scratch = try ScratchFolder()
        let base: Int64 = 1_700_000_000_000_000
        var bytes = Self.header + Self.sample(base, [1, 2, 3]) + Self.sample(base - 5_000_000, [4]) + Self.sample(base + 9_000_000, [])
        bytes += Array(Self.sample(base + 20_000_000, [9, 9, 9, 9]).prefix(18))  // cut inside the data
        let r = try NIDASReader(readTimeTags: true).read(path: scratch.write("made.dat", bytes))
        #expect(r.coverage == Coverage(start: Instant(microseconds: base - 5_000_000), end: Instant(microseconds: base + 9_000_000)))
        #expect(r.notes.contains { $0.contains("step back") })
        #expect(r.notes.contains { $0.contains("18 of its 20 bytes") }, "\(r.notes)")
    }

    @Test func corruptLengthAndImplausibleTags() throws {
        let scratch = try ScratchFolder()
        let base: Int64 = 1_700_000_000_000_000
        let bytes = Self.header + Self.sample(base, [1]) + Self.sample(42, [2]) + Self.sample(base + 1, [])
            + [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]
        let r = try NIDASReader(readTimeTags: true).read(path: scratch.write("made.dat", bytes))
        #expect(r.coverage == Coverage(start: Instant(microseconds: base), end: Instant(microseconds: base + 1)))
        #expect(r.notes.contains { $0.contains("outside 1980") })
        #expect(r.notes.contains { $0.contains("corrupt") })
    }

    @Test func headerOnlyFileHasNoSamples() throws {
        let scratch = try ScratchFolder()
        let r = try NIDASReader(readTimeTags: true).read(path: scratch.write("h.dat", Self.header))
        #expect(r.coverage == nil)
        #expect(r.notes.last == "no samples")
    }

    @Test func notNIDAS() throws {
        let scratch = try ScratchFolder()
        for (name, bytes) in [("e.dat", [UInt8]()), ("html.dat", Array("<html><body>500</body></html>".utf8)),
                              ("noend.dat", Array(Self.header.dropLast(11))), ("junk.dat.bz2", Array("BZh9".utf8) + [UInt8](repeating: 7, count: 100))] {
            let path = try scratch.write(name, bytes)
            for tags in [false, true] {
                #expect(throws: HeaderReadError.self, "\(name)") { try NIDASReader(readTimeTags: tags).read(path: path) }
            }
        }
        #expect(throws: HeaderReadError.self) { try NIDASReader().read(path: SampleFiles.path("fits", "tb.fits")) }
    }

    /// A .bz2 cut in half: the header still reads, and the time tags cover what came before the cut.
    @Test func cutBzip2() throws {
        let scratch = try ScratchFolder()
        let bytes = try [UInt8](Data(contentsOf: SampleFiles.root.appendingPathComponent("nidas/t2_20230731_0401.dat.bz2")))
        let path = try scratch.write("cut.dat.bz2", Array(bytes.prefix(bytes.count / 2)))
        #expect(try NIDASReader().readHeader(path: path).projectName == "M2HATS")
        do {
            let r = try NIDASReader(readTimeTags: true).read(path: path)
            #expect(r.coverage?.start == Instant(microseconds: 1_690_776_060_003_053))
            #expect(r.notes.contains { $0.contains("cut off") }, "\(r.notes)")
        } catch let e as HeaderReadError {
            // bzip2 may also fail its CRC on the last, partial block: an error, never a crash.
            #expect(e.description.contains("bzip2"))
        }
    }

    /// Two bzip2 streams one after the other read as one file (pbzip2 writes such files).
    @Test func concatenatedBzip2Streams() throws {
        let scratch = try ScratchFolder()
        let base: Int64 = 1_700_000_000_000_000
        let first = try scratch.write("a.dat", Self.header + Self.sample(base, [1]))
        let second = try scratch.write("b.dat", Self.sample(base + 7_000_000, [2]))
        for p in [first, second] {
            let bzip = Process()
            bzip.executableURL = URL(fileURLWithPath: "/bin/sh")
            bzip.arguments = ["-c", "bzip2 -k \"$0\"", String(decoding: p, as: UTF8.self)]
            try bzip.run(); bzip.waitUntilExit()
        }
        let a = try Data(contentsOf: scratch.url.appendingPathComponent("a.dat.bz2"))
        let b = try Data(contentsOf: scratch.url.appendingPathComponent("b.dat.bz2"))
        let joined = try scratch.write("ab.dat.bz2", [UInt8](a + b))
        let r = try NIDASReader(readTimeTags: true).read(path: joined)
        #expect(r.coverage == Coverage(start: Instant(microseconds: base), end: Instant(microseconds: base + 7_000_000)), "\(r.notes)")
    }
}
