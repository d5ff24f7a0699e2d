import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// The server's direct JSON writer of entries against the one encoding of the CLI's `--json`.
struct CatalogEntryJSONTests {
    /// Text that is awkward in JSON: quotes, backslashes, slashes, every control character,
    /// DEL, non-ASCII, a line separator, an emoji.
    static let awkward: [String] = ["", "plain", "a\"b", "back\\slash", "a/b/c", "tab\there", "line\nbreak", "\r\u{8}\u{c}", "\u{0}\u{1}\u{1f}",
                                    "del\u{7f}", "über", "\u{2028}\u{2029}", "🌊 tide", "</script>", "mixed \"/\\\n\u{7}é"]
        + (0..<0x20).map { "c\(UnicodeScalar(UInt8($0)))c" }

    static let paths: [PathBytes] = [
        Array("/data/raw/tower0_20170501.dat".utf8), Array("/data/with \"quote\"/and\\back".utf8), Array("/data/über/ñ".utf8),
        [0x2f, 0x64, 0xff, 0xfe, 0x2f, 0x61], Array("/data/new\nline".utf8), [0x2f, 0x7f, 0x01, 0x09], [0x2f, 0xc3],
    ]

    static let times: [Instant?] = [nil, Instant(microseconds: 0), Instant(microseconds: 1_493_640_000_000_000), Instant(microseconds: 1_493_640_000_123_400),
                                    Instant(microseconds: 1_493_640_000_000_001), Instant(microseconds: -1), Instant(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59),
                                    Instant(year: 10_000, month: 1, day: 1), Instant(year: -44, month: 3, day: 15), Instant(year: 0, month: 1, day: 1)]

    @Test func writesTheBytesJSONEncoderWrites() throws {
        var rng = SplitMix(seed: 13)
        func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
        func maybe(_ a: [String]) -> String? { rng.next() % 3 == 0 ? nil : pick(a) }
        var entries: [CatalogEntry] = []
        for _ in 0..<2000 {
            let start = pick(Self.times), end = pick(Self.times)
            var e = CatalogEntry(path: pick(Self.paths), context: pick(Self.awkward), category: pick(Self.awkward), stream: pick(Self.awkward),
                                 dataset: maybe(Self.awkward), size: pick([0, 1, -1, 1234567, Int64.max, Int64.min]),
                                 coverage: start.map { Coverage(start: $0, end: end ?? $0) }, source: pick(TimeSource.allCases),
                                 state: pick(FileState.allCases), goneAt: pick(Self.times), error: maybe(Self.awkward))
            e.goneBy = maybe(["scan 12", "policy run 3"] + Self.awkward)
            e.notes = maybe(Self.awkward)
            entries.append(e)
        }
        for e in entries {
            let expected = try JSONText.encode([e])
            #expect(CatalogEntryJSON.encode([e]) == Array(expected), "\(String(decoding: expected, as: UTF8.self))")
        }
        #expect(CatalogEntryJSON.encode(entries) == Array(try JSONText.encode(entries)))
        #expect(CatalogEntryJSON.encode([]) == Array(try JSONText.encode([CatalogEntry]())))
    }
}
