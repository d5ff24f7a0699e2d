/// `check arrival`: how old the newest coverage end of a category's (or stream's) live files is.
public enum ArrivalCheck {
    /// The check's result at `now`; CRITICAL when the category holds no live file.
    public static func run(_ store: any QueryStore, context: String, category: String, stream: String?,
                           thresholds: Thresholds, now: Instant) throws -> CheckResult {
        try store.requireContext(context)
        let name = stream.map { "\(context) \(category) stream \($0)" } ?? "\(context) \(category)"
        let summary = try checkRead(store) { () throws(CatalogError) in try store.summary(context: context) }
            .first { $0.category == category }
        var newest = summary?.latest
        if let stream, let earliest = summary?.earliest, let latest = summary?.latest {
            // The category's span bounds the stream's: read the stream's runs within it.
            var q = CoverageQuery(from: earliest, to: Instant(microseconds: latest.microseconds + 1))
            q.context = context; q.categories = [category]; q.stream = stream
            let runs = try checkRead(store) { () throws(CatalogError) in try store.coverageRuns(q) }
            newest = runs.flatMap(\.live).map(\.end).max().map { Instant(microseconds: $0) }
        }
        guard let newest else {
            return CheckResult(what: "ARRIVAL", state: .critical, text: "\(name): no live data catalogued")
        }
        let age = now.microseconds - newest.microseconds
        let seconds = Double(age) / 1e6
        return CheckResult(what: "ARRIVAL", state: thresholds.state(seconds),
                           text: "\(name): newest data ends \(newest.iso8601), \(checkAge(age)) ago",
                           perfdata: [PerfDatum("age", seconds.rounded(), unit: "s", warning: thresholds.warning, critical: thresholds.critical)])
    }
}
