import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// Property-style fuzzing in the normal suite, bounded in time: mutated and truncated
/// copies of the sample files go to each reader, which must give a coverage, nil, or a
/// `HeaderReadError` — never crash, hang, or throw anything else. Longer runs with
/// coverage guidance: `Fuzz/run.sh`.
@Suite struct HeaderFuzzTests {
    /// `TIDEMARK_FUZZ_SEED` (see `FuzzSeed`).
    static let seed = FuzzSeed.value

    /// Bytes likely to matter in these formats: digits, quote, '=', blank, 0, 0xff, 'CDF', 'T'.
    static let interesting: [UInt8] = Array("0123456789'= -.:/TEDZ".utf8) + [0, 1, 2, 5, 0x0a, 0x0b, 0x0c, 0x7f, 0x80, 0xff]

    static func mutate(_ input: [UInt8], hot: Int, _ rng: inout SplitMix) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !b.isEmpty else { break }
            // Most mutations land in the header region, where parsing happens.
            let limit = Bool.random(using: &rng) ? min(b.count, hot) : b.count
            let i = Int.random(in: 0..<limit, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: b[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1: b[i] = interesting.randomElement(using: &rng)!
            case 2: b.removeSubrange(Int.random(in: 0...b.count, using: &rng)...)
            case 3:
                let n = Int.random(in: 1...min(64, b.count - i), using: &rng)
                b.insert(contentsOf: b[i..<(i + n)], at: Int.random(in: 0...b.count, using: &rng))
            case 4: b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...80, using: &rng)))
            case 5: for j in i..<min(b.count, i + 8) { b[j] = UInt8.random(in: 0...255, using: &rng) }
            default: b[i] = UInt8.random(in: 0x30...0x39, using: &rng)
            }
        }
        return b
    }

    static func corpus(_ folders: [String], where keep: (String) -> Bool) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        for f in folders {
            for n in SampleFiles.names(in: f) where keep(n) {
                let data = try Data(contentsOf: SampleFiles.root.appendingPathComponent("\(f)/\(n)"))
                if data.count <= 400_000 { out.append([UInt8](data)) }
            }
        }
        return out
    }

    func fuzz(_ name: String, seeds: [[UInt8]], hot: Int, seconds: Double, _ read: (PathBytes) throws -> CoverageReading) throws {
        guard !seeds.isEmpty else {
            Issue.record("no inputs to fuzz \(name) from: the sample files in \(SampleFiles.root.path) are missing or hold none of its kind")
            return
        }
        var rng = FuzzSeed.generator(name)
        let scratch = try ScratchFolder()
        let start = Date()
        var runs = 0
        while Date().timeIntervalSince(start) < seconds || runs < 50 {
            let input = Self.mutate(seeds.randomElement(using: &rng)!, hot: hot, &rng)
            let path = try scratch.write("input-\(name)", input)
            let t0 = Date()
            defer {
                if Date().timeIntervalSince(t0) > 2 {
                    print("SLOW \(name) \(Date().timeIntervalSince(t0))")
                    try? Data(input).write(to: FileManager.default.temporaryDirectory.appendingPathComponent("tidemark-slow-\(name)-\(runs)"))
                }
            }
            do {
                let r = try read(path)
                if let c = r.coverage { #expect(c.start <= c.end) }
            } catch is HeaderReadError {
            } catch {
                Issue.record("seed \(Self.seed): \(name) threw \(type(of: error)) (not HeaderReadError): \(error)")
                try? Data(input).write(to: FileManager.default.temporaryDirectory.appendingPathComponent("tidemark-fuzz-\(name)-failure"))
            }
            runs += 1
        }
        #expect(runs >= 50)
    }

    @Test func fitsNeverCrashes() throws {
        let seeds = try Self.corpus(["fits", "bad"]) { $0.contains(".fit") || $0.hasSuffix(".evt") || $0.hasSuffix("truncated") }
        try fuzz("fits", seeds: seeds, hot: 8640, seconds: 2) { try FITSReader().read(path: $0) }
    }

    /// Classic files are mutated freely. netCDF-4 files are only cut short: HDF5 1.10.8 frees
    /// an uninitialised pointer on some corrupted group B-trees (H5G__link_release_table, from
    /// NC4_open) and aborts the process, a library bug no caller can catch (see Fuzz/README.md).
    @Test func netCDFNeverCrashes() throws {
        let seeds = try Self.corpus(["netcdf", "bad"]) { $0.hasSuffix(".nc") || $0.hasSuffix(".cdf") }
        let classic = seeds.filter { $0.starts(with: Array("CDF".utf8)) }
        try fuzz("netcdf", seeds: classic, hot: 2048, seconds: 2) { try NetCDFReader().read(path: $0) }
        var rng = SplitMix(seed: Self.seed)
        let scratch = try ScratchFolder()
        for hdf5 in seeds where hdf5.starts(with: NetCDFReader.hdf5Magic) {
            for _ in 0..<20 {
                let path = try scratch.write("cut.nc", Array(hdf5.prefix(Int.random(in: 0..<hdf5.count, using: &rng))))
                #expect(throws: HeaderReadError.self) { try NetCDFReader().read(path: path) }
            }
        }
    }

    /// With no inputs (the samples missing) the fuzzer fails with a message, not a trap
    /// that would take the whole test process down.
    @Test func withoutSamplesItFailsClearly() throws {
        try withKnownIssue {
            try fuzz("nothing", seeds: [], hot: 1, seconds: 0) { _ in CoverageReading(coverage: nil) }
        } matching: { $0.comments.contains { $0.rawValue.contains("no inputs to fuzz") } }
    }

    @Test func nidasNeverCrashes() throws {
        let seeds = try Self.corpus(["nidas"]) { !$0.hasPrefix("isfs_2023") }
        try fuzz("nidas", seeds: seeds, hot: 1024, seconds: 1) { try NIDASReader(readTimeTags: true).read(path: $0) }
    }

    /// Card values alone, with no file: the keyword logic must never trap on absurd numbers.
    @Test func fitsKeywordValuesNeverTrap() {
        var rng = SplitMix(seed: Self.seed)
        let keys = Array(FITSTimeKeywords.names)
        let values = ["1e308", "-1e308", "nan", "inf", "'2011-02-30'", "'99999-12-31T23:59:60'", "9223372036854775807",
                      "'-0001-01-01'", "0", "'TT'", "'TCB'", "'d'", "'1979.00'", "1.0D+300", "'24:00:00'", "''"]
        for _ in 0..<20_000 {
            var cards: [String: FITSCard] = [:]
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                cards[keys.randomElement(using: &rng)!] = FITSCard(value: values.randomElement(using: &rng)!, comment: Bool.random(using: &rng) ? "minutes" : "")
            }
            if let c = FITSTimeKeywords(cards: cards).reading().coverage { #expect(c.start <= c.end) }
        }
    }
}
