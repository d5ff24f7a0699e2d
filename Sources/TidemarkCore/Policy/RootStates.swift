import Foundation

/// A catalogued root as it stands now: current or stale, available or not.
///
/// Deletion (planning, execution and settling) acts only under roots that are current —
/// named by the context's definition now, or given with `--scan` to its latest complete
/// scan — and available: the directory at the root's path is still the one catalogued.
public struct RootState: Sendable {
    /// The root as the catalog records it.
    public var record: RootRecord
    public var isCurrent: Bool
    /// Why it is current or stale.
    public var why: String
    /// Why the directory at its path is not the root catalogued; nil when it is.
    public var unavailable: String?

    public var id: Int64 { record.id }
    public var context: String { record.context }
    public var path: PathBytes { record.path }
    /// Recorded when first catalogued; nil for a root catalogued before identities were kept.
    public var identity: RootIdentity? { record.identity }
    /// The latest complete scan that walked it, and when that scan ended.
    public var lastScan: Int64? { record.lastScan }
    public var lastScanned: Instant? { record.lastScanned }

    /// Current and available: plans, executions and settles act under it.
    public var isUsable: Bool { isCurrent && unavailable == nil }

    /// What an operator can do about an unavailable root.
    public var remedy: String {
        "Check that its disk is mounted; if the tree moved, scan it at its new path (a root is recognised by its device "
            + "and inode); if it is gone for good, `tidemark root forget \(path.displayPath) --context \(context) --yes` drops it from the catalog."
    }
}

extension CatalogListing {
    /// Every root of the catalog (or of one context) as it stands now. `definitionRoots`
    /// holds, per context, the roots its definition names now; for a context without an
    /// entry (no definition found) the roots its latest complete scan walked are current.
    public func rootStates(context: String? = nil, definitionRoots: [String: [PathBytes]] = [:]) throws(CatalogError) -> [RootState] {
        let records = try rootRecords(context: context)
        var definitionIdentities: [PathBytes: RootIdentity] = [:]
        for d in definitionRoots.values.joined() { definitionIdentities[d] = try? RootIdentity.of(d) }
        return records.map { row in
            let name = row.context, path = row.path, identity = row.identity, lastScan = row.lastScan
            let latest = row.latestScan, explicit = row.latestScanExplicit
            var state = RootState(record: row, isCurrent: false, why: "", unavailable: RootState.unavailability(path, identity, context: name))
            let walkedByLatest = lastScan != nil && lastScan == latest
            if let defined = definitionRoots[name] {
                let named = defined.contains { d in
                    ProbedRoot.normalized(d) == path || (identity != nil && definitionIdentities[d] == identity)
                }
                if named {
                    (state.isCurrent, state.why) = (true, "named by the definition of \(name)")
                } else if walkedByLatest && explicit {
                    (state.isCurrent, state.why) = (true, "given with --scan to scan #\(latest!), the latest complete scan of \(name)")
                } else {
                    state.why = RootState.staleness(state, latest: latest, "neither named by the definition of \(name) nor given with --scan to its latest complete scan")
                }
            } else if walkedByLatest {
                (state.isCurrent, state.why) = (true, "walked by scan #\(latest!), the latest complete scan of \(name) (no definition of \(name) found to name its roots)")
            } else {
                state.why = RootState.staleness(state, latest: latest, "not walked by the latest complete scan of \(name) (no definition of \(name) found to name its roots)")
            }
            return state
        }
    }
}

extension RootState {
    fileprivate static func staleness(_ s: RootState, latest: Int64?, _ because: String) -> String {
        let last = s.lastScan.map { "last walked by scan #\($0)" + (s.lastScanned.map { " on \($0.iso8601)" } ?? "") }
            ?? "not walked to the end by any scan since root identities were recorded"
        return "stale: \(last); \(because)" + (latest.map { " (#\($0))" } ?? "")
    }

    /// Why the directory at `path` is not the root catalogued with `identity`; nil when it is.
    static func unavailability(_ path: PathBytes, _ identity: RootIdentity?, context: String) -> String? {
        guard let identity else {
            return "its device and inode were never recorded (catalogued by an older Tidemark): scan \(context) once to record them"
        }
        do {
            let now = try RootIdentity.of(path)
            if now == identity { return nil }
            return "\(path.displayPath) is not the directory catalogued (device/inode \(now) now, \(identity) when catalogued): "
                + "an empty mount point, or another directory put in its place"
        } catch {
            return "\(path.displayPath): \(error.reason)" + (error.errno == ENOENT ? " (moved, or its disk not mounted?)" : "")
        }
    }
}
