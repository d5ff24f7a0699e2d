/// `check disk`: how full the file system holding each of a context's roots is.
public enum DiskCheck {
    /// The check's result: the fullest root against the thresholds (percentages); a root
    /// whose file system cannot be read makes the whole check UNKNOWN, naming it.
    public static func run(_ store: any QueryStore, context: String, thresholds: Thresholds,
                           facts: FileSystemFacts = .live) throws -> CheckResult {
        try store.requireContext(context)
        let roots = try checkRead(store) { () throws(CatalogError) in try store.rootRecords(context: context) }
        guard !roots.isEmpty else { throw CheckUnknown("context '\(context)' has no root in the catalog") }
        var used: [(root: String, percent: Double, usage: FileSystemUsage)] = []
        for r in roots {
            do { let u = try facts.usage(r.path); used.append((r.path.displayPath, u.fraction * 100, u)) } catch {
                throw CheckUnknown("\(r.path.displayPath): \(error.description)")
            }
        }
        let worst = used.max { $0.percent < $1.percent }!
        let state = used.map { thresholds.state($0.percent) }.max() ?? .ok
        let text = state == .ok
            ? "\(context): \(used.count) root(s), fullest \(worst.root) at \(percent(worst.percent))"
            : "\(context): " + used.filter { thresholds.state($0.percent) != .ok }.map { "\($0.root) at \(percent($0.percent))" }
                .joined(separator: ", ")
        let perf = used.map {
            PerfDatum($0.root, ($0.percent * 10).rounded() / 10, unit: "%", warning: thresholds.warning, critical: thresholds.critical,
                      min: 0, max: 100)
        }
        return CheckResult(what: "DISK", state: state, text: text, perfdata: perf)
    }

    private static func percent(_ p: Double) -> String { String(format: "%.1f%%", p) }
}
