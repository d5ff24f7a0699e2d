
/// Coverage and gaps over a window, per stream or per category.
public struct CoverageQuery: Sendable {
    public enum Grouping: String, Sendable, CaseIterable { case stream, category }

    public var from: Instant
    public var to: Instant
    public var by: Grouping = .stream
    public var context: String?
    public var categories: [String] = []
    public var stream: String?
    /// Gaps shorter than this are not listed (covered time is still measured exactly).
    public var minGap: Int64 = 0

    public init(from: Instant, to: Instant) { self.from = from; self.to = to }
}

/// A half-open interval of microseconds.
public struct Span: Sendable, Equatable, Encodable {
    public var start: Int64
    public var end: Int64
    public var length: Int64 { end - start }

    public init(_ start: Int64, _ end: Int64) { self.start = start; self.end = end }

    enum CodingKeys: String, CodingKey { case start, end, seconds }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Instant(microseconds: start).iso8601, forKey: .start)
        try c.encode(Instant(microseconds: end).iso8601, forKey: .end)
        try c.encode(Double(length) / 1e6, forKey: .seconds)
    }
}

/// One stream's (or category's) coverage in the window.
public struct CoverageRow: Sendable, Encodable {
    public var context: String
    public var category: String
    /// The stream, or nil when grouped by category.
    public var stream: String?
    /// Merged intervals of live data, clipped to the window.
    public var covered: [Span]
    /// Time in the window with no live data, at least `minGap` long.
    public var gaps: [Span]
    /// Merged intervals of gone data (missing, deleted, purged) inside the gaps.
    public var gone: [Span]
    /// Covered time over the window's length.
    public var fraction: Double
}


/// Interval arithmetic on sorted, half-open spans.
public enum Intervals {
    /// Sorted, merged spans; touching spans join, empty ones vanish.
    public static func merge(_ spans: [Span]) -> [Span] {
        var out: [Span] = []
        out.reserveCapacity(spans.count)
        let sorted = zip(spans, spans.dropFirst()).allSatisfy { $0.start <= $1.start } ? spans : spans.sorted { $0.start < $1.start }
        for s in sorted where s.end > s.start {
            if let last = out.last, s.start <= last.end {
                out[out.count - 1].end = max(last.end, s.end)
            } else {
                out.append(s)
            }
        }
        return out
    }

    /// The parts of `window` that no span of `merged` covers.
    public static func complement(_ merged: [Span], within window: Span) -> [Span] {
        var out: [Span] = []
        var cursor = window.start
        for s in merged {
            if s.start > cursor { out.append(Span(cursor, min(s.start, window.end))) }
            cursor = max(cursor, s.end)
            if cursor >= window.end { break }
        }
        if cursor < window.end { out.append(Span(cursor, window.end)) }
        return out.filter { $0.end > $0.start }
    }

    /// The parts of `a` (merged) inside `b` (merged).
    public static func intersect(_ a: [Span], _ b: [Span]) -> [Span] {
        var out: [Span] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let s = max(a[i].start, b[j].start), e = min(a[i].end, b[j].end)
            if e > s { out.append(Span(s, e)) }
            if a[i].end < b[j].end { i += 1 } else { j += 1 }
        }
        return out
    }
}

extension QueryStore {
    /// Coverage rows for every stream (or category) the filters select, including those
    /// with no data in the window: the store's coverage runs, merged per group.
    public func coverage(_ q: CoverageQuery) throws(CatalogError) -> [CoverageRow] {
        let from = q.from.microseconds, to = q.to.microseconds
        var groups: [(key: (String, String, String?), live: [Span], gone: [Span])] = []
        var index: [String: Int] = [:]
        for s in try coverageRuns(q) {
            let key: (String, String, String?) = q.by == .stream ? (s.context, s.category, s.stream) : (s.context, s.category, nil)
            let k = "\(key.0)\u{0}\(key.1)\u{0}\(key.2 ?? "\u{1}")"
            let g = index[k] ?? { groups.append((key, [], [])); index[k] = groups.count - 1; return groups.count - 1 }()
            groups[g].live += s.live
            groups[g].gone += s.gone
        }
        return groups.map { g in
            let covered = Intervals.merge(g.live)
            let gaps = Intervals.complement(covered, within: Span(from, to)).filter { $0.length >= max(1, q.minGap) }
            let gone = Intervals.intersect(Intervals.merge(g.gone), gaps)
            let total = covered.reduce(0) { $0 + $1.length }
            return CoverageRow(context: g.key.0, category: g.key.1, stream: g.key.2, covered: covered, gaps: gaps, gone: gone,
                               fraction: to > from ? Double(total) / Double(to - from) : 0)
        }
    }

    /// Live files, bytes and coverage span per context and category, for every context.
    public func summary() throws(CatalogError) -> [CategorySummary] { try summary(context: nil) }
}
