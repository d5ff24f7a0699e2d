#if canImport(Glibc)
import Glibc
#endif

/// The roots of a context that deletion may act under now, and those it leaves alone.
public struct ContextRoots: Sendable {
    /// Current and available.
    public var usable: [RootState]
    /// Stale, or current but unavailable; each says why.
    public var skipped: [RootState]

    var scope: RootScope { skipped.isEmpty ? .all : RootScope(ids: Set(usable.map(\.id))) }
}

extension CatalogListing {
    /// The roots of `context` deletion may act under now; `definitionRoots` are those its
    /// definition names now (nil: no definition found).
    public func contextRoots(_ context: String, definitionRoots: [PathBytes]?) throws(CatalogError) -> ContextRoots {
        var states = try rootStates(context: context, definitionRoots: definitionRoots.map { [context: $0] } ?? [:])
        // Two current roots over the same files can only come of a scan of the outer one that
        // did not complete (it would have made the inner one stale): the inner one waits.
        let chains = states.map { $0.isUsable ? ProbedRoot.ancestors(of: ProbedRoot.resolved($0.path) ?? $0.path) : [] }
        for (i, r) in states.enumerated() where r.isUsable {
            if let outer = states.indices.first(where: { j in
                j != i && states[j].isUsable && states[j].unavailable == nil
                    && (chains[i].contains(states[j].identity!) || (states[j].identity == r.identity && j < i))
            }) {
                states[i].unavailable = "it lies inside root \(states[outer].path.displayPath), current too, whose scan did not complete: "
                    + "its files are left alone until a scan of \(context) completes"
            }
        }
        return ContextRoots(usable: states.filter(\.isUsable), skipped: states.filter { !$0.isUsable })
    }
}

/// The current, available roots of a context held open for removals, each checked to be
/// the directory catalogued through the descriptor itself (no path looked up twice).
final class OpenRoots {
    let ids: Set<Int64>
    let scope: RootScope
    private let directories: [Int64: RootDirectory]

    init(_ catalog: any CatalogListing, context: String, definitionRoots: [PathBytes]?) throws(CatalogError) {
        let roots = try catalog.contextRoots(context, definitionRoots: definitionRoots)
        var open: [Int64: RootDirectory] = [:]
        for r in roots.usable {
            if let d = try? RootDirectory(path: r.path), d.identity == r.identity { open[r.id] = d }
        }
        directories = open
        ids = Set(open.keys)
        scope = roots.skipped.isEmpty && ids.count == roots.usable.count ? .all : RootScope(ids: ids)
    }

    func directory(_ id: Int64) -> Result<RootDirectory, SystemError> {
        directories[id].map { .success($0) }
            ?? .failure(SystemError("open", errno: ENOENT, path: Array("<root #\(id): not a current, available root>".utf8)))
    }
}
