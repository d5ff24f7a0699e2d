import Foundation
import GRDB
import Testing
@testable import TidemarkCore
import TestSupport

/// Resolving many requests in one transaction visits only the streams whose files can reach
/// each window (`RequestFileSelector`); it must select exactly what the direct query
/// (`selectFiles`) does, and what the overlap rule says, file for file and in order.
@Suite struct RequestSelectionTests {
    /// Streams each holding files over a stretch of their own (some the whole span, some
    /// nothing dated), instants and long files among them, in every state.
    static func catalog(seed: UInt64) throws -> (SQLiteCatalog, [(stream: Int, start: Int64?, end: Int64?)]) {
        var rng = SplitMix(seed: seed)
        let catalog = try temporaryCatalog()
        let s: Int64 = 1_000_000, streams = 24
        var files: [(stream: Int, start: Int64?, end: Int64?, state: Int)] = []
        for stream in 0..<streams {
            let from = stream % 6 == 0 ? 0 : Int64(rng.next() % 1800) * s
            let length = stream % 6 == 0 ? 2000 * s : Int64(20 + rng.next() % 200) * s
            for _ in 0..<(stream == 5 ? 0 : 3 + Int(rng.next() % 12)) {
                if rng.next() % 20 == 0 { files.append((stream, nil, nil, 0)); continue }  // no coverage read
                let start = from + Int64(rng.next() % UInt64(length / s)) * s
                let kind = rng.next() % 8
                let duration: Int64 = kind == 0 ? 0 : Int64(1 + rng.next() % (kind == 1 ? 300 : 30)) * s
                files.append((stream, start, start + duration, rng.next() % 4 == 0 ? Int(1 + rng.next() % 3) : 0))
            }
        }
        try catalog.pool.write { [files] db in
            try db.execute(sql: """
                INSERT INTO contexts (id, name) VALUES (1, 'ctx'), (2, 'other'); INSERT INTO roots (id, context_id, path) VALUES (1, 1, X'2F64');
                INSERT INTO dirs VALUES (1, 1, X'')
                """)
            for i in 0..<streams {
                try db.execute(sql: "INSERT INTO streams (id, context_id, category, name) VALUES (?, ?, ?, ?)",
                               arguments: [i + 1, i == 7 ? 2 : 1, ["raw", "merge", "warp"][i % 3], "s\(i % 8)"])
            }
            for (i, f) in files.enumerated() {
                try db.execute(sql: """
                    INSERT INTO files (dir_id, name, size, mtime, inode, device, stream_id, start, "end", source, state)
                    VALUES (1, ?, 1, 0, ?, 1, ?, ?, ?, 2, ?)
                    """, arguments: [Data("f\(i)".utf8), i, f.stream + 1, f.start, f.end, f.state])
            }
            try StreamFinisher(db: db).finish(streams: (1...streams).map(Int64.init))
        }
        return (catalog, files.map { ($0.stream, $0.start, $0.end) })
    }

    @Test(arguments: 1...6)
    func batchSelectsWhatTheDirectQuerySelects(seed: Int) throws {
        let (catalog, files) = try Self.catalog(seed: UInt64(seed))
        var rng = SplitMix(seed: UInt64(seed) * 104_729)
        let s: Int64 = 1_000_000
        var specs: [RequestSpec] = []
        for trial in 0..<120 {
            let a = Int64(rng.next() % 2100) * s
            let window: (Int64?, Int64?) = switch trial % 6 {
            case 0: (a, a)
            case 1: (nil, a)
            case 2: (a, nil)
            case 3: (nil, nil)
            default: (a, a + Int64(rng.next() % 400) * s)
            }
            let categories = [["raw"], ["merge"], ["warp"], ["raw", "warp"]][Int(rng.next() % 4)]
            specs.append(RequestSpec(context: trial % 17 == 0 ? "other" : "ctx", categories: categories,
                                     stream: trial % 5 == 0 ? "s\(rng.next() % 8)" : nil,
                                     window: TimeWindow(begin: window.0.map(Instant.init(microseconds:)), end: window.1.map(Instant.init(microseconds:)))))
        }
        let ids = try catalog.addRequests(specs, at: Instant(microseconds: 0), by: "test")
        var batch: [Int64: [Int64]] = [:]
        let recorded = try catalog.resolveRequests(zip(ids, specs).map { PendingRequest(id: $0, spec: $1) }, at: Instant(microseconds: 0), by: "test") { p, found in
            batch[p.id] = found.map(\.id)
            return RequestResolution(request: p.id, files: found.map(\.id), dependents: [], state: .run, fault: nil, message: nil)
        }
        #expect(recorded == Array(repeating: true, count: specs.count))
        var nonEmpty = 0
        for (id, spec) in zip(ids, specs) {
            let direct = try catalog.selectFiles(spec).map(\.id)
            #expect(batch[id] == direct, "request \(id): \(spec.categories) \(spec.stream ?? "any") [\(spec.window.lo), \(spec.window.hi))")
            // The rule itself, over the rows as written (file ids are their order + 1).
            let streamIDs = try catalog.read { db in
                try Int64.fetchAll(db, sql: """
                    SELECT s.id FROM streams s JOIN contexts c ON c.id = s.context_id WHERE c.name = ? AND (? IS NULL OR s.name = ?)
                    """, arguments: [spec.context, spec.stream, spec.stream]) .filter { i in spec.categories.contains(["raw", "merge", "warp"][Int(i - 1) % 3]) }
            }
            let expected = Set(files.enumerated().compactMap { i, f -> Int64? in
                guard let start = f.start, let end = f.end, streamIDs.contains(Int64(f.stream + 1)) else { return nil }
                return spec.window.overlaps(start: start, end: end) ? Int64(i + 1) : nil
            })
            #expect(Set(batch[id] ?? []) == expected)
            if !expected.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty > 20)
        // What was recorded is what was selected.
        let stored = try catalog.requests(ids: ids)
        #expect(stored.map(\.id) == ids)
        #expect(stored.map(\.files) == ids.map { batch[$0]?.count ?? 0 })
    }

    /// More requests than one transaction takes, malformed ones among them: each ends as
    /// resolving it alone (`decide`, the direct query) says, in the order given.
    @Test func aBatchResolvesEachRequestAsItAloneWould() throws {
        let (catalog, _) = try Self.catalog(seed: 42)
        let resolver = RequestResolver(store: catalog) { _ in ["raw"] }
        var rng = SplitMix(seed: 7)
        let s: Int64 = 1_000_000
        let items: [(spec: RequestSpec, malformed: String?)] = (0..<(RequestResolver.batch * 2 + 100)).map { i in
            let a = Int64(rng.next() % 2100) * s
            let window = i % 97 == 0 ? TimeWindow(begin: Instant(microseconds: a + s), end: Instant(microseconds: a))
                : TimeWindow(begin: Instant(microseconds: a), end: Instant(microseconds: a + Int64(rng.next() % 100) * s))
            let categories = i % 89 == 0 ? ["nonesuch"] : [["raw"], ["merge"], ["warp"], ["raw", "merge"]][i % 4]
            return (RequestSpec(context: i % 83 == 0 ? "nowhere" : "ctx", categories: categories, window: window),
                    i % 79 == 0 ? "row \(i): a bad row" : nil)
        }
        let expected = try items.map { item throws(CatalogError) -> RequestResolution in
            let record = RequestRecord(id: 0, spec: item.spec, state: .new, fault: nil, message: nil, files: 0, ready: 0, dependents: 0,
                                       created: Instant(microseconds: 0), changed: Instant(microseconds: 0), finished: nil, pinnedUntil: nil)
            if let bad = item.malformed {
                return RequestResolution(request: 0, files: [], dependents: [], state: .fault, fault: RequestFault.malformed, message: bad)
            }
            return try resolver.decide(record)
        }
        let got = try resolver.add(items, at: Instant(microseconds: 0), by: "test")
        #expect(got.count == items.count)
        #expect(got.map(\.id) == got.map(\.id).sorted() && Set(got.map(\.id)).count == got.count)
        for (r, e) in zip(got, expected) {
            #expect(r.state == e.state && r.fault == e.fault && r.message == e.message && r.files == e.files.count, "request \(r.id)")
        }
        #expect(Set(got.map(\.state)) == [.run, .fault])
        #expect(Set(got.compactMap(\.fault)) == [RequestFault.gone, RequestFault.empty, RequestFault.malformed])
        // A purged raw file two requests need has one dependent.
        let dependents = try catalog.dependents(DependentFilter())
        #expect(!dependents.isEmpty && Set(dependents.map(\.file.id)).count == dependents.count)
        #expect(dependents.contains { $0.requests.count > 1 })
    }
}
