/// `check scan-age`: how long ago the context's last completed scan ended.
public enum ScanAgeCheck {
    /// Scans looked back through for a completed one.
    static let lookBack = 100

    /// The check's result at `now`; CRITICAL when no recent scan completed at all.
    public static func run(_ store: any QueryStore, context: String, thresholds: Thresholds, now: Instant) throws -> CheckResult {
        try store.requireContext(context)
        let scans = try checkRead(store) { () throws(CatalogError) in try store.lastScans(context: context, limit: lookBack) }
        guard let last = scans.first(where: { $0.status == .complete }), let finished = last.finished else {
            return CheckResult(what: "SCAN-AGE", state: .critical,
                               text: "\(context): no completed scan among the last \(scans.count)")
        }
        let age = now.microseconds - finished.microseconds
        let seconds = Double(age) / 1e6
        return CheckResult(what: "SCAN-AGE", state: thresholds.state(seconds),
                           text: "\(context): last completed scan \(checkAge(age)) ago (scan \(last.id), ended \(finished.iso8601))",
                           perfdata: [PerfDatum("age", seconds.rounded(), unit: "s", warning: thresholds.warning, critical: thresholds.critical, min: 0)])
    }
}
