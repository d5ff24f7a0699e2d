import Foundation
import GRDB

/// A catalogued root as it stands now: current or stale, available or not.
///
/// Deletion (planning, execution and settling) acts only under roots that are current —
/// named by the context's definition now, or given with `--scan` to its latest complete
/// scan — and available: the directory at the root's path is still the one catalogued.
public struct RootState: Sendable {
    public var id: Int64
    public var context: String
    public var path: PathBytes
    /// Recorded when first catalogued; nil for a root catalogued before identities were kept.
    public var identity: RootIdentity?
    /// The latest complete scan that walked it, and when that scan ended.
    public var lastScan: Int64?
    public var lastScanned: Instant?
    public var isCurrent: Bool
    /// Why it is current or stale.
    public var why: String
    /// Why the directory at its path is not the root catalogued; nil when it is.
    public var unavailable: String?

    /// Current and available: plans, executions and settles act under it.
    public var isUsable: Bool { isCurrent && unavailable == nil }

    /// What an operator can do about an unavailable root.
    public var remedy: String {
        "Check that its disk is mounted; if the tree moved, scan it at its new path (a root is recognised by its device "
            + "and inode); if it is gone for good, `tidemark root forget \(path.displayPath) --context \(context) --yes` drops it from the catalog."
    }
}

extension SQLiteCatalog {
    /// Every root of the catalog (or of one context) as it stands now. `definitionRoots`
    /// holds, per context, the roots its definition names now; for a context without an
    /// entry (no definition found) the roots its latest complete scan walked are current.
    public func rootStates(context: String? = nil, definitionRoots: [String: [PathBytes]] = [:]) throws(CatalogError) -> [RootState] {
        let rows = try read { db in
            try Row.fetchAll(db, sql: """
                WITH latest AS (SELECT context_id, max(id) AS id FROM scans WHERE status = 'complete' GROUP BY context_id)
                SELECT r.id, c.name, r.path, r.device, r.inode, r.last_scan, s.finished, l.id, ls.explicit_roots
                FROM roots r JOIN contexts c ON c.id = r.context_id LEFT JOIN scans s ON s.id = r.last_scan
                LEFT JOIN latest l ON l.context_id = c.id LEFT JOIN scans ls ON ls.id = l.id
                WHERE ?1 IS NULL OR c.name = ?1 ORDER BY c.name, r.id
                """, arguments: [context])
        }
        var definitionIdentities: [PathBytes: RootIdentity] = [:]
        for d in definitionRoots.values.joined() { definitionIdentities[d] = try? RootIdentity.of(d) }
        return rows.map { row in
            let name: String = row[1]
            let path = PathBytes(row[2] as Data)
            let identity = (row[3] as Int64?).flatMap { d in (row[4] as Int64?).map { RootIdentity(device: UInt64(bitPattern: d), inode: UInt64(bitPattern: $0)) } }
            let lastScan: Int64? = row[5]
            let latest: Int64? = row[7]
            let explicit = (row[8] as Int64?) == 1
            var state = RootState(id: row[0], context: name, path: path, identity: identity, lastScan: lastScan,
                                  lastScanned: (row[6] as Int64?).map { Instant(microseconds: $0) }, isCurrent: false, why: "",
                                  unavailable: Self.unavailability(path, identity, context: name))
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
                    state.why = Self.staleness(state, latest: latest, "neither named by the definition of \(name) nor given with --scan to its latest complete scan")
                }
            } else if walkedByLatest {
                (state.isCurrent, state.why) = (true, "walked by scan #\(latest!), the latest complete scan of \(name) (no definition of \(name) found to name its roots)")
            } else {
                state.why = Self.staleness(state, latest: latest, "not walked by the latest complete scan of \(name) (no definition of \(name) found to name its roots)")
            }
            return state
        }
    }

    private static func staleness(_ s: RootState, latest: Int64?, _ because: String) -> String {
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
