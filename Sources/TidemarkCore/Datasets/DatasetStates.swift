/// Moving datasets through their category's state machine: the checks a move needs (a
/// declared machine, an allowed transition, the state the caller expects) before the store's
/// compare-and-set makes and journals it.
public enum DatasetStates {
    /// The state `dataset` is in under `machine`: its stored state, else the initial one; nil
    /// when it never moved and its category declares no machine.
    public static func state(of dataset: DatasetRecord, machine: DatasetStateMachine?) -> String? {
        dataset.storedState ?? machine?.initial
    }

    /// Moves `dataset` to `target`, expecting it in `from` when given (compare-and-set for
    /// scripts), else in the state it was read in; `by` says what moved it. The move is an
    /// action of the journal (`ActionRunner`: intent, move, result), and the move's own row in
    /// the dataset's history names its journal entry; `rule` and `run` when a policy moves it.
    public static func move(_ dataset: DatasetRecord, to target: String, from: String?, machine: DatasetStateMachine?,
                            store: any DatasetStore & ActionJournal, by: String, at: Instant,
                            rule: String? = nil, run: Int64? = nil) throws(DatasetStateError) -> DatasetTransition {
        guard let machine else { throw .noMachine(dataset) }
        guard machine.states.contains(target) else { throw .unknownState(dataset, target, machine) }
        let current = state(of: dataset, machine: machine)!
        if let from, from != current { throw .stale(dataset, expected: from, actual: current, machine) }
        guard machine.allows(from: current, to: target) else { throw .illegal(dataset, from: current, to: target, machine) }
        let moved: DatasetTransition?
        do {
            moved = try journaledMove(dataset.id, name: dataset.name, from: current, to: target, machine: machine, store: store,
                                      runner: ActionRunner(journal: store, clock: { at }), by: by, rule: rule, run: run)
        } catch let e as CatalogError { throw .catalog(e) } catch { throw .catalog(CatalogError(path: "", message: "\(error)")) }
        if let moved { return moved }
        // Another mover changed it between the read and the write: say where it is now.
        let now: DatasetRecord?
        do { now = try store.datasets(DatasetFilter(context: dataset.context, name: dataset.name)).first } catch { throw .catalog(error) }
        throw .stale(dataset, expected: current, actual: now.flatMap { state(of: $0, machine: machine) } ?? "?", machine)
    }
}

extension DatasetStates {
    /// A checked move made through the action journal: the intent, the store's
    /// compare-and-set (its history row naming the intent's entry), the result (`skipped`
    /// when the dataset was no longer in `from`: then nil). `beforeAct` runs between the
    /// intent and the act (tests kill the process there).
    public static func journaledMove(_ id: Int64, name: String, from: String, to: String, machine: DatasetStateMachine,
                                     store: any DatasetStore, runner: ActionRunner, by: String, rule: String? = nil, run: Int64? = nil,
                                     beforeAct: ((Int64) -> Void)? = nil) throws -> DatasetTransition? {
        var moved: DatasetTransition?
        let intent = ActionIntent(kind: .state, subject: .dataset(id), detail: "dataset \(name) from \(from) to \(to)",
                                  by: by, target: to, rule: rule, run: run)
        try runner.run(intent) { entry in
            beforeAct?(entry)
            moved = try store.setState(dataset: id, expected: from, initial: machine.initial, to: to, by: by, at: runner.clock(), journal: entry)
            return moved == nil ? .skipped("not moved to \(to): it was no longer in \(from) (another mover was first)") : .done()
        }
        return moved
    }
}

/// A move that was refused, said so a person knows what is allowed.
public enum DatasetStateError: Error, Sendable, CustomStringConvertible {
    /// The dataset's category declares no state machine.
    case noMachine(DatasetRecord)
    /// The target is not one of the machine's states.
    case unknownState(DatasetRecord, String, DatasetStateMachine)
    /// The machine has no transition from its state to the target.
    case illegal(DatasetRecord, from: String, to: String, DatasetStateMachine)
    /// The dataset is not in the state the caller expected (a `--from` that no longer holds,
    /// or another mover that was first).
    case stale(DatasetRecord, expected: String, actual: String, DatasetStateMachine)
    /// The catalog failed.
    case catalog(CatalogError)

    public var description: String {
        switch self {
        case .noMachine(let d):
            return "dataset '\(d.name)' of \(d.context) is of category '\(d.category)', whose datasets have no states: "
                + "declare them in the context's definition ([[dataset_states]] with category = \"\(d.category)\"; see catalogs/README.md)"
        case .unknownState(let d, let s, let m):
            return "'\(s)' is not a state of \(d.category) datasets; their states are \(m.states.joined(separator: ", "))"
                + Self.allowed(d, m)
        case .illegal(let d, let from, let to, let m):
            return "dataset '\(d.name)' cannot move from \(from) to \(to)" + Self.allowed(d, m, in: from)
        case .stale(let d, let expected, let actual, let m):
            return "dataset '\(d.name)' is in state \(actual), not \(expected); nothing was changed" + Self.allowed(d, m, in: actual)
        case .catalog(let e):
            return e.description
        }
    }

    /// The moves allowed from the dataset's state (or from `state`), and all of them.
    private static func allowed(_ d: DatasetRecord, _ m: DatasetStateMachine, in state: String? = nil) -> String {
        let s = state ?? DatasetStates.state(of: d, machine: m) ?? m.initial
        let next = m.next(from: s)
        return "; from \(s) it may move to " + (next.isEmpty ? "no other state" : next.joined(separator: " or "))
            + " (allowed transitions: \(m.transitionsText))"
    }
}
