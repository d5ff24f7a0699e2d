/// `check gaps`: any gap in a stream's live coverage within the window that is too long.
public enum GapsCheck {
    /// The check's result at `now` over the window `since` long before it; the worst stream
    /// and its longest gap are named, and the gap count is the performance datum.
    public static func run(_ store: any QueryStore, context: String, categories: [String], stream: String?, since: Int64,
                           thresholds: Thresholds, now: Instant) throws -> CheckResult {
        try store.requireContext(context)
        var q = CoverageQuery(from: Instant(microseconds: now.microseconds - since), to: now)
        q.context = context; q.categories = categories; q.stream = stream
        q.minGap = Int64(((thresholds.warning ?? thresholds.critical ?? 0) * 1e6).rounded())
        let rows = try checkRead(store) { () throws(CatalogError) in try store.coverage(q) }
        // Each stream's longest gap, worst first.
        let longest = rows.compactMap { row in row.gaps.max { $0.length < $1.length }.map { (row, $0) } }
            .sorted { $0.1.length > $1.1.length }
        let state = longest.first.map { thresholds.state(Double($0.1.length) / 1e6) } ?? .ok
        let count = longest.count { thresholds.state(Double($0.1.length) / 1e6) != .ok }
        let perf = [PerfDatum("streams_with_gaps", Double(count), min: 0, max: Double(rows.count))]
        guard let (row, gap) = longest.first, state != .ok else {
            return CheckResult(what: "GAPS", state: .ok,
                               text: "\(context): \(rows.count) stream(s), no gap that long in the last \(checkAge(since))", perfdata: perf)
        }
        let others = count > 1 ? " (and \(count - 1) more stream(s))" : ""
        return CheckResult(what: "GAPS", state: state,
                           text: "\(row.context) \(row.category) \(row.stream ?? ""): no data \(Instant(microseconds: gap.start).iso8601)"
                               + " to \(Instant(microseconds: gap.end).iso8601) (\(checkAge(gap.length)))\(others)",
                           perfdata: perf)
    }
}
