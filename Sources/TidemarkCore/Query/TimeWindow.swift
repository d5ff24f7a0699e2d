/// A query window `[begin, end)`; either end may be open, and `begin == end` is an instant.
///
/// Overlap follows the half-open rule: touching intervals do not overlap. An instant
/// (a coverage with start == end) lies in a window when `begin <= t < end`, and an
/// instant window `t` lies in a coverage when `start <= t < end`.
public struct TimeWindow: Sendable, Equatable {
    public var begin: Instant?
    public var end: Instant?

    public init(begin: Instant?, end: Instant?) { self.begin = begin; self.end = end }
    public static func instant(_ t: Instant) -> TimeWindow { TimeWindow(begin: t, end: t) }

    public var isInstant: Bool { begin != nil && begin == end }

    /// Bounds for SQL: open ends become the extremes of Int64.
    public var lo: Int64 { begin?.microseconds ?? Int64.min / 4 }
    public var hi: Int64 { end?.microseconds ?? Int64.max / 4 }

    /// The reference definition of overlap, which the SQL in `covers` must agree with.
    public func overlaps(start s: Int64, end e: Int64) -> Bool {
        if isInstant {
            return s == e ? s == lo : (s <= lo && lo < e)
        }
        return s == e ? (lo <= s && s < hi) : (s < hi && e > lo)
    }
}
