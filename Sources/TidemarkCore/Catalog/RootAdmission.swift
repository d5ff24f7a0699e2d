import Foundation

/// Two roots over the same files: one is the other, or lies inside it. A physical file is
/// catalogued once, so such a root is refused.
public struct RootConflict: Error, Sendable, CustomStringConvertible {
    public enum Relation: Sendable { case same, inside, contains }

    public var root: PathBytes
    public var relation: Relation
    public var other: PathBytes
    /// The other root's context; nil when both roots were given to the same scan.
    public var otherContext: String?
    /// The scan's roots came from the context's definition (not from `--scan`).
    public var fromDefinition: Bool
    /// The definition file, when the roots came from it.
    public var definitionFile: String?

    /// "root A is inside root B of context C".
    public var summary: String {
        let what = switch relation {
        case .same: "is the same directory as"
        case .inside: "is inside"
        case .contains: "contains"
        }
        return "root \(root.displayPath) \(what) root \(other.displayPath)" + (otherContext.map { " of context \($0)" } ?? "")
    }

    public var description: String {
        if let otherContext {
            return summary + "; a file would be catalogued twice, so it is refused. Scan one tree under one root; "
                + "if \(otherContext) no longer uses \(other.displayPath), `tidemark root forget \(other.displayPath) --context \(otherContext) --yes` "
                + "drops it from the catalog (only a stale root can be forgotten)"
        }
        if fromDefinition {
            return summary + ", both named by the definition \(definitionFile ?? ""); a file would be catalogued twice. Keep only the outer one in its `roots`"
        }
        return summary + ", both given with --scan; a file would be catalogued twice. Give only the outer one"
    }
}

/// A root of a scan, matched with the catalog: a root it knows (by device and inode, or by
/// path for one catalogued before identities were kept), or a new one.
public struct AdmittedRoot: Sendable {
    public var probe: ProbedRoot
    public var existingId: Int64?
    /// Record the scan's path for the known root (found by its identity under another name).
    public var rename: Bool
}

/// Why a scan's roots cannot be catalogued as given; thrown before the scan writes anything.
enum AdmissionError: Error {
    case conflict(RootConflict)
    /// A root of the context is at this path, but the directory there is another one.
    case replaced(path: PathBytes, now: RootIdentity, catalogued: RootIdentity)
}

extension ScanStore {
    /// Matches a scan's roots (probed, deduplicated, none inside another) with the roots the
    /// catalog holds. A root of another context that is, holds or lies inside one of them is
    /// refused; so is a root of this context the definition names. Any other root of this
    /// context so placed stops being current with this scan: a note says so.
    func admit(_ roots: [ProbedRoot], definition: ContextDefinition, fromDefinition: Bool) throws -> (roots: [AdmittedRoot], notes: [String]) {
        let known = try knownRoots()
        let definedIdentities = Set(definition.roots.compactMap { try? RootIdentity.of($0.pathBytes) })
        let definedPaths = Set(definition.roots.map { ProbedRoot.normalized($0.pathBytes) })
        var admitted: [AdmittedRoot] = []
        var notes: [String] = []
        for n in roots {
            let mine = known.filter { $0.context == definition.name }
            let byIdentity = mine.filter { $0.identity == n.identity }
            let byPath = mine.first { $0.path == n.path }
            if let byPath, let catalogued = byPath.identity, catalogued != n.identity {
                throw AdmissionError.replaced(path: n.path, now: n.identity, catalogued: catalogued)
            }
            let existing = byIdentity.first { $0.path == n.path } ?? byIdentity.first ?? byPath
            for e in known where e.id != existing?.id {
                guard let relation = Self.relation(n, e.path, e.identity) else { continue }
                let conflict = RootConflict(root: n.path, relation: relation, other: e.path, otherContext: e.context,
                                            fromDefinition: fromDefinition, definitionFile: definition.file)
                let staysCurrent = definedPaths.contains(e.path) || e.identity.map(definedIdentities.contains) == true
                if e.context != definition.name || staysCurrent { throw AdmissionError.conflict(conflict) }
                notes.append("\(conflict.summary), which its definition does not name: that root is stale from this scan on "
                             + "(nothing under it is deleted), but queries list its files until "
                             + "`tidemark root forget \(e.path.displayPath) --context \(e.context) --yes` drops it")
            }
            // A known root reached by another name is renamed only when its old path no longer
            // leads to it (the tree moved): a scan through a symbolic link keeps the real path,
            // so an empty mount point there is still caught.
            admitted.append(AdmittedRoot(probe: n, existingId: existing?.id,
                                         rename: existing.map { e in
                                             e.path != n.path && !mine.contains { $0.path == n.path } && (try? RootIdentity.of(e.path)) != n.identity
                                         } ?? false))
        }
        return (admitted, notes)
    }

    /// How root `n` stands to a catalogued root at `path` with `identity`: by identity where the
    /// directories can be reached, else by their paths (a root unavailable now).
    static func relation(_ n: ProbedRoot, _ path: PathBytes, _ identity: RootIdentity?) -> RootConflict.Relation? {
        let there = try? RootIdentity.of(path)
        for id in [identity, there].compactMap({ $0 }) {
            if id == n.identity { return .same }
            if n.ancestors.contains(id) { return .inside }
        }
        if let there, identity == nil || there == identity,
           ProbedRoot.ancestors(of: ProbedRoot.resolved(path) ?? path).contains(n.identity) {
            return .contains
        }
        for p in [n.path, n.realPath] {
            if p == path { return .same }
            if PathBytes.isSameOrBelow(p, path) { return .inside }
            if PathBytes.isSameOrBelow(path, p) { return .contains }
        }
        return nil
    }
}
