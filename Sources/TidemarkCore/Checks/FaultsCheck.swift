/// `check faults`: failed actions of policy runs within the window, and `failed` work items
/// of the queues named. (Failed copies, dependents and requests join the count when those exist.)
public enum FaultsCheck {
    /// Policy runs looked back through.
    static let lookBack = 1000

    /// The check's result: the number of failed actions of the runs started since `since`
    /// against the thresholds, naming the runs that had them.
    public static func run(_ store: any QueryStore, since: Instant?, queues: [String] = [], thresholds: Thresholds) throws -> CheckResult {
        let runs = try checkRead(store) { () throws(CatalogError) in try store.policyRuns(context: nil, limit: lookBack) }
            .filter { since == nil || $0.started >= since! }
        let faulty = runs.filter { $0.failed > 0 }
        let failed = faulty.reduce(0) { $0 + $1.failed }
        var items = 0
        if !queues.isEmpty {
            guard let claims = store as? any ClaimStore else { throw CheckUnknown("\(store.path) keeps no work queues") }
            for q in queues {
                items += try checkRead(store) { () throws(CatalogError) in try claims.workItems(queue: q) }
                    .count { $0.state == .failed && (since == nil || ($0.finished ?? $0.enqueued) >= since!) }
            }
        }
        let state = thresholds.state(Double(failed + items))
        let window = since.map { " since \($0.iso8601)" } ?? ""
        var parts = faulty.isEmpty
            ? ["no failed action in \(runs.count) policy run(s)\(window)"]
            : ["\(failed) failed action(s)\(window): " + faulty.prefix(5).map { "\($0.policy) run \($0.id) (\($0.failed))" }.joined(separator: ", ")]
        if !queues.isEmpty { parts.append("\(items) failed work item(s) in \(queues.joined(separator: ", "))") }
        var perf = [PerfDatum("policy_failed", Double(failed), warning: thresholds.warning, critical: thresholds.critical, min: 0)]
        if !queues.isEmpty { perf.append(PerfDatum("work_failed", Double(items), warning: thresholds.warning, critical: thresholds.critical, min: 0)) }
        return CheckResult(what: "FAULTS", state: state, text: parts.joined(separator: "; "), perfdata: perf)
    }
}
