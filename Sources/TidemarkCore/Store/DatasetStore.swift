/// Datasets and their states: listing, moving one state on (compare-and-set), and the journal
/// of its moves.
///
/// A store knows a dataset's stored state, which is nil until the dataset first moves: it is
/// then in the initial state of its category's state machine, which only the context
/// definition knows (`DatasetStates` resolves it). So every move names the state it expects
/// the dataset to be in, and the store makes it only if that still holds, in the same
/// transaction that journals it: of concurrent movers, exactly one wins.
public protocol DatasetStore: AnyObject, Sendable {
    /// The datasets matching `filter`, by context, category and name.
    func datasets(_ filter: DatasetFilter) throws(CatalogError) -> [DatasetRecord]
    /// Moves dataset `id` to `to` if its state is still `expected` (a stored state of nil
    /// counting as `initial`), journaling the move with `by` at `at` (and the action journal's
    /// entry `journal` that intended it), in one transaction. Nil when the dataset's state
    /// was not `expected` (nothing changed).
    func setState(dataset id: Int64, expected: String, initial: String, to: String, by: String,
                  at: Instant, journal: Int64?) throws(CatalogError) -> DatasetTransition?
    /// The moves of dataset `id`, oldest first.
    func transitions(dataset id: Int64) throws(CatalogError) -> [DatasetTransition]
}

extension DatasetStore {
    /// Moves a dataset with no action journal entry behind the move.
    public func setState(dataset id: Int64, expected: String, initial: String, to: String, by: String,
                         at: Instant) throws(CatalogError) -> DatasetTransition? {
        try setState(dataset: id, expected: expected, initial: initial, to: to, by: by, at: at, journal: nil)
    }
}

/// Which datasets a listing takes.
public struct DatasetFilter: Sendable, Hashable {
    /// Only this context's.
    public var context: String?
    /// Only these categories' (all when empty).
    public var categories: [String]
    /// Only the dataset of this name.
    public var name: String?

    /// A filter; every part optional.
    public init(context: String? = nil, categories: [String] = [], name: String? = nil) {
        self.context = context; self.categories = categories; self.name = name
    }
}

/// A dataset as the catalog holds it.
public struct DatasetRecord: Sendable, Hashable {
    /// Its row.
    public var id: Int64
    /// Its context.
    public var context: String
    /// Its category.
    public var category: String
    /// Its name, from the definition's `dataset` template (unique within its context).
    public var name: String
    /// The stream of its (first) file; nil when it has no files.
    public var stream: String?
    /// Its state as stored: nil until it first moves (then in its machine's initial state).
    public var storedState: String?
    /// Since when it is in its state: its last move, else when first catalogued (nil when
    /// catalogued before states were recorded).
    public var stateSince: Instant?
    /// How many live files it has.
    public var files: Int
    /// The bytes of its live files.
    public var bytes: Int64
    /// The union of its live files' coverage.
    public var start: Instant?
    /// The end of that union.
    public var end: Instant?

    /// A dataset as a store reads it.
    public init(id: Int64, context: String, category: String, name: String, stream: String?, storedState: String?,
                stateSince: Instant?, files: Int, bytes: Int64, start: Instant?, end: Instant?) {
        self.id = id; self.context = context; self.category = category; self.name = name; self.stream = stream
        self.storedState = storedState; self.stateSince = stateSince; self.files = files; self.bytes = bytes
        self.start = start; self.end = end
    }
}

/// One journaled move of a dataset.
public struct DatasetTransition: Sendable, Hashable {
    /// Its journal row.
    public var id: Int64
    /// The dataset's row.
    public var dataset: Int64
    /// When it moved.
    public var at: Instant
    /// The state it left.
    public var from: String
    /// The state it entered.
    public var to: String
    /// What moved it: a command and who ran it, or a policy run.
    public var by: String
    /// The action journal's entry that intended it (nil for moves made before v12).
    public var journal: Int64?

    /// A move as a store records it.
    public init(id: Int64, dataset: Int64, at: Instant, from: String, to: String, by: String, journal: Int64? = nil) {
        self.id = id; self.dataset = dataset; self.at = at; self.from = from; self.to = to; self.by = by; self.journal = journal
    }
}
