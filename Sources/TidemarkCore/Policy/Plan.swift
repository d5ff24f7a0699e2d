/// What a policy would do, each action with the rule and the reason that chose it.
/// Building a plan changes nothing; `PolicyExecutor` carries one out under the journal.
public struct Plan: Sendable {
    public var policy: String
    public var context: String
    public var contextId: Int64
    /// The clock the plan was made at (ages and relative times count from it).
    public var now: Instant
    /// The removals, each a file.
    public var actions: [PlannedAction]
    /// What is done to datasets beside removing their files (a state change after a rule's
    /// removals); run after the removals, each through the action journal.
    public var datasetActions: [DatasetAction] = []
    /// One line per rule: what it chose, or why it chose nothing.
    public var rules: [RuleOutcome]
    /// Journal entries an interrupted run left open; their files are not planned until a
    /// run settles them.
    public var openJournalEntries: Int
    /// The policy's `futureTolerance`: the executor sets future-dated files aside as the planner did.
    public var futureTolerance: Int64 = Policy.defaultFutureTolerance
    /// Roots of the context the plan leaves alone: stale, or unavailable (each says why).
    public var skippedRoots: [RootState] = []
    /// The roots the context's definition named when the plan was made (nil: no definition
    /// found); the executor works out the current roots again from them.
    public var definitionRoots: [PathBytes]? = nil

    public var bytes: Int64 { actions.reduce(0) { $0 + $1.bytes } }
    public var isEmpty: Bool { actions.isEmpty && datasetActions.isEmpty }
}

/// Removing one catalogued file.
public struct PlannedAction: Sendable {
    public enum Kind: String, Sendable, Codable {
        /// Age-off: the file becomes a `deleted` tombstone.
        case delete
        /// Cleanup of an input whose product exists: the file becomes a `purged` tombstone.
        case purge

        public var tombstone: FileState { self == .delete ? .deleted : .purged }
    }

    public var kind: Kind
    public var fileId: Int64
    /// Absolute path, for people; the executor finds the file again from the catalog.
    public var path: PathBytes
    public var category: String
    public var stream: String
    public var bytes: Int64
    public var coverage: Coverage?
    /// The file as catalogued; it is deleted only if it still is exactly this.
    public var expected: FileStat
    public var rule: String
    public var reason: String
    /// The executor checks again that the file is not among this many newest of its stream.
    public var keepNewest: Int
    /// Cleanup: the live files that cover this one; each must still be on disk, unchanged.
    public var coveredBy: [Int64]
    /// The dataset the file belongs to: every live file of it is in the plan, and the
    /// executor removes them all or none.
    public var datasetId: Int64?
    /// The dataset's name, for reasons.
    public var dataset: String?
}

/// A rule's part of a plan.
public struct RuleOutcome: Sendable {
    public var rule: String
    public var kind: String
    public var files: Int
    public var bytes: Int64
    /// Why the rule chose what it chose, or nothing ("usage 72% is not above 90%").
    public var note: String
}

/// An action of a plan on a dataset as a whole; each kind has one performer in the executor,
/// and each is journaled through `ActionRunner` (intent, act, result).
public enum DatasetAction: Sendable {
    /// Move the dataset to another state once the removals it waits for were all done.
    case state(PlannedStateChange)

    /// The dataset acted on.
    public var datasetId: Int64 {
        switch self {
        case .state(let c): c.datasetId
        }
    }

    /// The action's kind in the journal.
    public var kind: ActionKind {
        switch self {
        case .state: .state
        }
    }
}

/// A dataset's move to another state after a rule's removals of it (`then_state`).
public struct PlannedStateChange: Sendable {
    public var datasetId: Int64
    /// The dataset's name, for people.
    public var dataset: String
    public var category: String
    /// The state it is in (the rule's `dataset_state`) and the one it moves to.
    public var from: String
    public var to: String
    /// Its category's state machine, as the plan checked the move against it.
    public var machine: DatasetStateMachine
    public var rule: String
    /// The removals (file ids) that must all be done before it moves.
    public var after: [Int64]

    public init(datasetId: Int64, dataset: String, category: String, from: String, to: String, machine: DatasetStateMachine,
                rule: String, after: [Int64]) {
        self.datasetId = datasetId; self.dataset = dataset; self.category = category; self.from = from; self.to = to
        self.machine = machine; self.rule = rule; self.after = after
    }
}
