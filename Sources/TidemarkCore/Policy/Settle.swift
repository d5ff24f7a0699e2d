import Foundation

/// What settling the journal of killed runs found.
public struct SettleReport: Sendable {
    /// Runs that were still marked running (killed): now `interrupted`.
    public var runs: [Int64] = []
    /// Open intents whose file was found gone: the killed run had removed it.
    public var removed = 0
    /// Open intents whose file is still there: the killed run never removed it.
    public var notDone = 0
    /// Open intents that could not be checked (a root stale or unavailable); left open.
    public var unresolved = 0
    /// The roots whose intents were left open, and why.
    public var unresolvedRoots: [UnresolvedRoot] = []
    /// Other actions (state changes) whose writer died with their intent open: closed now,
    /// done or not done as the catalog shows.
    public var actions: [(entry: ActionEntry, outcome: ActionOutcome)] = []

    public var isEmpty: Bool { runs.isEmpty && removed == 0 && notDone == 0 && unresolved == 0 && actions.isEmpty }
}

/// A root under which open journal intents could not be settled.
public struct UnresolvedRoot: Sendable, CustomStringConvertible {
    public var root: RootState
    /// Open intents left open under it.
    public var intents: Int
    public var reason: String
    /// Current but unavailable (an unmounted disk, a moved tree), rather than stale.
    public var isUnavailable: Bool

    public var description: String {
        "\(intents) open journal intent\(intents == 1 ? "" : "s") under root \(root.path.displayPath) of \(root.context) "
            + "\(intents == 1 ? "stays" : "stay") open: \(reason). Nothing was recorded as removed there; "
            + (isUnavailable ? "the next run settles them once the root is back. \(root.remedy)"
                             : "they are settled once the root is current again, or dropped with it by `tidemark root forget`.")
    }
}

extension PolicyExecutor {
    /// Completes what killed runs left open, before anything new is planned: each open
    /// intent is checked on disk, so the catalog ends up agreeing with the disk and no
    /// file is removed twice. Needs the catalog's policy lock. Only under current, available
    /// roots (`definitionRoots`: per context, the roots its definition names now): elsewhere
    /// a file found gone may never have been removed, so its intent stays open.
    public func settle(lock: PolicyLock, definitionRoots: [String: [PathBytes]] = [:]) throws(PolicyError) -> SettleReport {
        do {
            return try settleOpen(definitionRoots)
        } catch let e as PolicyError { throw e } catch let e as CatalogError { throw .catalog(e) } catch {
            throw .catalog(CatalogError(path: catalog.path, message: "\(error)"))
        }
    }

    private func settleOpen(_ definitionRoots: [String: [PathBytes]]) throws -> SettleReport {
        var report = SettleReport()
        // Whoever holds the lock is the only run: any other still marked running was killed.
        let (open, running) = try catalog.openIntents()
        // Other actions first (before the killed runs are closed): those of the killed runs,
        // and those whose process on this host is gone; each kind decided as the catalog shows.
        let stateDecision = (catalog as? any DatasetStore).map(ActionRunner.stateDecision)
        report.actions = try ActionRunner(journal: catalog, clock: clock).settle(killedRuns: Set(running)) { try stateDecision?($0) }
            .map { (entry: $0.0, outcome: $0.1) }
        guard !open.isEmpty || !running.isEmpty else { return report }
        let states = Dictionary(try catalog.rootStates(definitionRoots: definitionRoots).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var roots: [Int64: RootDirectory] = [:]
        var closed: [Int64: UnresolvedRoot] = [:]
        var decided: [(OpenIntent, JournalResult, String)] = []
        for i in open {
            if roots[i.rootId] == nil && closed[i.rootId] == nil, let state = states[i.rootId] {
                switch Self.settleable(state) {
                case .success(let d): roots[i.rootId] = d
                case .failure(let why): closed[i.rootId] = UnresolvedRoot(root: state, intents: 0, reason: why.reason, isUnavailable: state.isCurrent)
                }
            }
            guard let root = roots[i.rootId] else {
                report.unresolved += 1
                closed[i.rootId]?.intents += 1
                continue
            }
            switch root.verify(directory: i.directory, name: i.name, expected: i.expected) {
            case nil:
                decided.append((i, .notDone, "the run was killed before removing it; still on disk, unchanged"))
            case .gone?:
                decided.append((i, .done, "the run was killed after removing it; found gone when the journal was settled"))
            case .failed?:
                report.unresolved += 1
            case let other?:
                decided.append((i, .notDone, "the run was killed before removing it; " + Self.describe(other)))
            }
        }
        try catalog.settle(decided.map { SettledIntent(intent: $0.0, result: $0.1, detail: $0.2) },
                           runs: Set(running + decided.map(\.0.run)).sorted(), now: clock())
        report.unresolvedRoots = closed.values.sorted { $0.root.id < $1.root.id }
        report.runs = Array(Set(running + decided.map(\.0.run))).sorted()
        report.removed = decided.filter { $0.1 == .done }.count
        report.notDone = decided.filter { $0.1 == .notDone }.count
        return report
    }

    /// The root opened for settling, or why its intents stay open: it is stale, unavailable,
    /// or cannot be opened as the directory catalogued.
    private static func settleable(_ state: RootState) -> Result<RootDirectory, Unsettleable> {
        func fail(_ reason: String) -> Result<RootDirectory, Unsettleable> { .failure(Unsettleable(reason: reason)) }
        // A stale root is never deleted from, but settling only looks: what a killed run
        // removed there is recorded, so the catalog keeps agreeing with the disk.
        if let why = state.unavailable { return fail("the root is unavailable: \(why)") }
        do {
            let d = try RootDirectory(path: state.path)
            return d.identity == state.identity ? .success(d) : fail("the root is unavailable: it changed while the journal was settled")
        } catch {
            return fail("the root cannot be opened: \(error.reason)")
        }
    }
}

private struct Unsettleable: Error { var reason: String }
