/// `check policy-run`: the age and outcome of a policy's last run.
public enum PolicyRunCheck {
    /// Runs looked back through for the policy's.
    static let lookBack = 1000

    /// The check's result at `now`: the age against the thresholds; a run with faults, or one
    /// interrupted, is at least WARNING; a policy that never ran is CRITICAL.
    public static func run(_ store: any QueryStore, policy: String, thresholds: Thresholds, now: Instant) throws -> CheckResult {
        let runs = try checkRead(store) { () throws(CatalogError) in try store.policyRuns(context: nil, limit: lookBack) }
        guard let last = runs.first(where: { $0.policy == policy }) else {
            return CheckResult(what: "POLICY-RUN", state: .critical, text: "policy '\(policy)' has no run among the last \(runs.count)")
        }
        let ended = last.finished ?? last.started
        let age = now.microseconds - ended.microseconds
        var state = thresholds.state(Double(age) / 1e6)
        if last.status == .faults || last.status == .interrupted { state = max(state, .warning) }
        return CheckResult(what: "POLICY-RUN", state: state,
                           text: "policy \(policy) run \(last.id) \(last.status.rawValue) \(checkAge(age)) ago: \(last.done) done, "
                               + "\(last.skipped) skipped, \(last.failed) failed of \(last.planned)",
                           perfdata: [PerfDatum("age", (Double(age) / 1e6).rounded(), unit: "s", warning: thresholds.warning,
                                                critical: thresholds.critical, min: 0),
                                      PerfDatum("failed", Double(last.failed), min: 0), PerfDatum("skipped", Double(last.skipped), min: 0)])
    }
}
