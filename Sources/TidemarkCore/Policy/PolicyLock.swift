import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One policy run at a time per catalog, and none while its context is being scanned: the
/// catalog's policy-run lock and the context's lock (`RunLock`s of the store; on SQLite by
/// the database file's identity, not a name), held for the whole run and released even
/// when the process is killed.
///
/// Executing and settling the journal take a lock as an argument, so neither can run
/// without one.
public final class PolicyLock: @unchecked Sendable {  // immutable once made
    /// The context the run may change.
    public let context: String
    private let runs: any RunLock
    private let contextLock: any RunLock

    /// Takes both locks or throws `.locked` at once (it never waits). `holder` names the run
    /// in others' messages: `policy run NAME`, `delete`.
    public init(catalog: any RunLocking, context: String, holder: String) throws(PolicyError) {
        self.context = context
        do {
            runs = try catalog.lock(.policyRuns, holder: holder)
            contextLock = try catalog.lock(.context(context), holder: holder)
        } catch {
            switch error {
            case .held(let conflict): throw .locked(conflict)
            case .unavailable(let e): throw .lockUnavailable(e)
            case .catalog(let e): throw .catalog(e)
            }
        }
    }
}

/// A policy run that cannot start or cannot go on; per-file problems are not these.
public enum PolicyError: Error, Sendable, CustomStringConvertible {
    /// Another policy run holds the catalog, or a scan the context.
    case locked(LockConflict)
    /// The locks cannot be taken (a catalog the user cannot write).
    case lockUnavailable(SystemError)
    /// The policy does not fit the catalog (unknown context or category), located in its file.
    case configuration(DefinitionError)
    case catalog(CatalogError)
    /// The catalog failed part-way through an execution: `removed` files (`bytes`) were
    /// removed, their intents journaled but not their results, until the next run settles them.
    case interrupted(run: Int64, removed: Int, bytes: Int64, cause: CatalogError)
    /// A root of the context cannot be opened or measured.
    case root(SystemError)

    public var description: String {
        switch self {
        case .locked(let c):
            switch c.region {
            case .policyRuns:
                "another policy run holds the catalog \(c.catalog)\(c.holder.map { " (\($0.holder), \($0.owner))" } ?? ""); "
                    + "only one runs at a time per catalog. Nothing was changed; try again when it has finished"
            case .context(let name):
                "\(c.holder.map { $0.holder == "scan" ? "a scan of \(name) is running (\($0.owner))" : "\($0.holder) (\($0.owner)) holds \(name)" } ?? "a scan of \(name) is running"); "
                    + "a policy run on \(name) waits until it ends. Nothing was changed; try again when it has finished"
            }
        case .lockUnavailable(let e): CatalogLockError.describe(e)
        case .configuration(let e): e.description
        case .catalog(let e): e.description
        case .interrupted(let run, let removed, let bytes, let cause):
            "\(cause.description)\nRun #\(run) stopped part-way"
                + (removed == 0 ? " before removing any file" : " after it had removed \(removed) file\(removed == 1 ? "" : "s") (\(bytes) bytes)")
                + ", which the catalog does not show as removed yet: the next `--yes` run settles its journal (checks each file on disk and records it) before anything else"
        case .root(let e): "cannot use root \(e.path.displayPath): \(e.reason)"
        }
    }
}
