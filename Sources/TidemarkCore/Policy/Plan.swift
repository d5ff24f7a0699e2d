/// What a policy would do, each action with the rule and the reason that chose it.
/// Building a plan changes nothing; `PolicyExecutor` carries one out under the journal.
public struct Plan: Sendable {
    public var policy: String
    public var context: String
    public var contextId: Int64
    /// The clock the plan was made at (ages and relative times count from it).
    public var now: Instant
    public var actions: [PlannedAction]
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
    public var isEmpty: Bool { actions.isEmpty }
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
