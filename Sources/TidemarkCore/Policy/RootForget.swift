import Foundation

/// A root named on the command line that cannot be forgotten, or found.
public enum RootError: Error, Sendable, CustomStringConvertible {
    case unknown(path: PathBytes, known: [RootState])
    case ambiguous(path: PathBytes, contexts: [String])
    /// Current and available: deletion acts under it, so its rows are needed.
    case current(RootState)
    case catalog(CatalogError)

    public var description: String {
        switch self {
        case .unknown(let p, let known):
            "the catalog has no root \(p.displayPath)"
                + (known.isEmpty ? "" : "; its roots are: " + known.map { "\($0.path.displayPath) (\($0.context))" }.joined(separator: ", "))
        case .ambiguous(let p, let contexts):
            "\(p.displayPath) is a root of several contexts (\(contexts.joined(separator: ", "))): name one with --context"
        case .current(let r):
            "root \(r.path.displayPath) of \(r.context) is current (\(r.why)) and available: deletion acts under it, so it is not "
                + "forgotten. Only a stale root (not named by the definition, not given with --scan to the latest complete scan) "
                + "or an unavailable one can be forgotten"
        case .catalog(let e): e.description
        }
    }
}

extension CatalogListing {
    /// The catalogued root a person names: by its path, else by the device and inode of the
    /// directory at that path; `context` narrows the search.
    public func root(named path: PathBytes, context: String?, definitionRoots: [String: [PathBytes]]) throws(RootError) -> RootState {
        let all: [RootState]
        do { all = try rootStates(context: context, definitionRoots: definitionRoots) } catch { throw .catalog(error) }
        let wanted = ProbedRoot.normalized(path)
        var found = all.filter { $0.path == wanted }
        if found.isEmpty, let id = try? RootIdentity.of(wanted) { found = all.filter { $0.identity == id } }
        if found.count > 1 { throw .ambiguous(path: wanted, contexts: found.map(\.context)) }
        guard let root = found.first else { throw .unknown(path: wanted, known: all) }
        return root
    }
}

extension JournalStore {
    /// Drops a stale or unavailable root (see `JournalStore.forgetRoot`); a current,
    /// available one is refused: deletion acts under it. Needs the policy lock: no run acts
    /// under the root meanwhile. Returns the forget record's id.
    public func forget(_ root: RootState, lock: PolicyLock, now: Instant) throws(RootError) -> (event: Int64, contents: RootContents) {
        guard !root.isUsable else { throw .current(root) }
        do { return try forgetRoot(root, now: now, lock) } catch { throw .catalog(error) }
    }
}
