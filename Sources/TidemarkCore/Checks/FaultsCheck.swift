/// `check faults`: failed actions of policy runs within the window, copies, dependents and
/// requests in fault (that faulted within the window), and `failed` work items of the queues named.
public enum FaultsCheck {
    /// Policy runs looked back through.
    static let lookBack = 1000

    /// The check's result: everything in fault since `since` against the thresholds, each kind
    /// named with its count and, for queued work, its fault codes.
    public static func run(_ store: any QueryStore, since: Instant?, queues: [String] = [], thresholds: Thresholds) throws -> CheckResult {
        func recent(_ t: Instant?) -> Bool { since == nil || (t.map { $0 >= since! } ?? true) }
        let runs = try checkRead(store) { () throws(CatalogError) in try store.policyRuns(context: nil, limit: lookBack) }
            .filter { recent($0.started) }
        let faulty = runs.filter { $0.failed > 0 }
        let failed = faulty.reduce(0) { $0 + $1.failed }
        let window = since.map { " since \($0.iso8601)" } ?? ""
        var parts = faulty.isEmpty
            ? ["no failed action in \(runs.count) policy run(s)\(window)"]
            : ["\(failed) failed action(s)\(window): " + faulty.prefix(5).map { "\($0.policy) run \($0.id) (\($0.failed))" }.joined(separator: ", ")]
        var perf = [PerfDatum("policy_failed", Double(failed), warning: thresholds.warning, critical: thresholds.critical, min: 0)]
        var total = failed
        /// Adds one kind of queued work in fault: its count, by code, to the line and the perfdata.
        func add(_ label: String, _ codes: [Int]) {
            total += codes.count
            perf.append(PerfDatum(label.replacingOccurrences(of: " ", with: "_") + "_fault", Double(codes.count), warning: thresholds.warning, critical: thresholds.critical, min: 0))
            guard !codes.isEmpty else { return }
            let byCode = Dictionary(grouping: codes, by: { $0 }).sorted { $0.key < $1.key }.map { "\($0.value.count)× \($0.key)" }
            parts.append("\(codes.count) \(label)(s) in fault (codes \(byCode.joined(separator: ", ")))")
        }
        if let copies = store as? any CopyStore {
            add("copy", try checkRead(store) { () throws(CatalogError) in try copies.copies(CopyFilter(state: .fault)) }
                .filter { recent($0.epoch) }.map { $0.fault?.rawValue ?? FaultCode.unknown.rawValue })
        }
        if let requests = store as? any RequestStore {
            add("dependent", try checkRead(store) { () throws(CatalogError) in try requests.dependents(DependentFilter(state: .fault)) }
                .filter { recent($0.changed) }.map { $0.fault ?? FaultCode.unknown.rawValue })
            add("request", try checkRead(store) { () throws(CatalogError) in try requests.requests(RequestFilter(state: .fault)) }
                .filter { recent($0.changed) }.map { $0.fault ?? FaultCode.unknown.rawValue })
        }
        if !queues.isEmpty {
            guard let claims = store as? any ClaimStore else { throw CheckUnknown("\(store.path) keeps no work queues") }
            var items = 0
            for q in queues {
                items += try checkRead(store) { () throws(CatalogError) in try claims.workItems(queue: q) }
                    .count { $0.state == .failed && recent($0.finished ?? $0.enqueued) }
            }
            total += items
            parts.append("\(items) failed work item(s) in \(queues.joined(separator: ", "))")
            perf.append(PerfDatum("work_failed", Double(items), warning: thresholds.warning, critical: thresholds.critical, min: 0))
        }
        return CheckResult(what: "FAULTS", state: thresholds.state(Double(total)), text: parts.joined(separator: "; "), perfdata: perf)
    }
}
