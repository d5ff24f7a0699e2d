/// A policy: rules evaluated in order against one context's catalog and live disk usage.
///
/// Read from `policies/<name>.toml` (see `policies/README.md`), or built by `tidemark delete`
/// from its options. Every rule keeps the newest files of each stream.
public struct Policy: Sendable {
    public var name: String
    public var context: String
    public var summary: String?
    public var rules: [PolicyRule]
    /// The file it came from, for messages ("<command line>" for `delete`).
    public var file: String
    /// Microseconds: a file whose coverage starts more than this after now is future-dated
    /// (a wrong name or clock). It never counts as the newest of its stream, and age-off
    /// takes it only with a time range that ends after it.
    public var futureTolerance: Int64

    /// One day: clocks and file names a few hours ahead are common, years ahead are mistakes.
    public static let defaultFutureTolerance: Int64 = 86_400_000_000

    public init(name: String, context: String, summary: String? = nil, rules: [PolicyRule], file: String,
                futureTolerance: Int64 = Policy.defaultFutureTolerance) {
        self.name = name; self.context = context; self.summary = summary; self.rules = rules; self.file = file
        self.futureTolerance = futureTolerance
    }
}

/// One `[[rule]]`.
public enum PolicyRule: Sendable {
    case ageOff(AgeOffRule)
    case cleanup(CleanupRule)

    public var name: String {
        switch self {
        case .ageOff(let r): r.name
        case .cleanup(let r): r.name
        }
    }

    /// The rule's choice of datasets by state, and where they move after it.
    public var datasetStates: DatasetStep {
        switch self {
        case .ageOff(let r): r.datasets
        case .cleanup(let r): r.datasets
        }
    }

    /// The categories the rule removes from.
    public var categories: [String] {
        switch self {
        case .ageOff(let r): r.categories
        case .cleanup(let r): r.categories
        }
    }

    /// Where each category was named, to report one the catalog does not know.
    public var categoryLocations: [(category: String, location: SourceLocation)] {
        switch self {
        case .ageOff(let r): r.categories.map { ($0, r.categoriesLocation) }
        case .cleanup(let r): r.categories.map { ($0, r.categoriesLocation) } + r.coveredBy.map { ($0, r.coveredByLocation) }
        }
    }
}

/// Deletes the oldest files of some categories: everything in a time range, or until a
/// number of bytes is chosen, or (watermarks) until the file system is used below a mark.
public struct AgeOffRule: Sendable {
    public var name: String
    public var categories: [String]
    /// Only files whose coverage lies inside `[from, to)`; nil ends are open.
    public var from: Instant?
    public var to: Instant?
    /// Only files whose coverage ended at least this long before `now` (microseconds).
    public var olderThan: Int64?
    public var target: Target
    /// The newest files of each stream that are never deleted (at least 1).
    public var keepNewest: Int
    /// Hosts that must hold a verified copy of a file before it may go.
    public var requireCopyOn: [String]
    public var categoriesLocation: SourceLocation
    /// Only datasets in a state, and the state they move to once removed.
    public var datasets = DatasetStep()

    /// When the rule stops choosing files.
    public enum Target: Sendable, Equatable {
        /// Every file that matches.
        case all
        /// Oldest first until at least this many bytes are chosen.
        case bytes(Int64)
        /// Only while the file system holding a root is used above `high` (a fraction),
        /// oldest first until it would be used below `low`.
        case watermark(high: Double, low: Double)
    }

    public init(name: String, categories: [String], from: Instant? = nil, to: Instant? = nil, olderThan: Int64? = nil,
                target: Target = .all, keepNewest: Int = 1, requireCopyOn: [String] = [],
                categoriesLocation: SourceLocation = SourceLocation(file: "<command line>", key: "categories")) {
        self.name = name; self.categories = categories; self.from = from; self.to = to; self.olderThan = olderThan
        self.target = target; self.keepNewest = keepNewest; self.requireCopyOn = requireCopyOn
        self.categoriesLocation = categoriesLocation
    }
}

/// Deletes (purges) intermediate files once live files of other categories cover their time.
public struct CleanupRule: Sendable {
    public var name: String
    /// The intermediate categories (A).
    public var categories: [String]
    /// The product categories (B) whose live files must cover an A file's whole coverage.
    public var coveredBy: [String]
    /// Cover must come from the same stream name (off: any stream of the context).
    public var sameStream: Bool
    /// The age guard: only files whose coverage ended at least this long before `now`.
    public var olderThan: Int64
    public var keepNewest: Int
    public var categoriesLocation: SourceLocation
    public var coveredByLocation: SourceLocation
    /// Only datasets in a state, and the state they move to once cleaned up.
    public var datasets = DatasetStep()

    public init(name: String, categories: [String], coveredBy: [String], sameStream: Bool = true, olderThan: Int64,
                keepNewest: Int = 1, categoriesLocation: SourceLocation = SourceLocation(file: "<command line>", key: "categories"),
                coveredByLocation: SourceLocation = SourceLocation(file: "<command line>", key: "covered_by")) {
        self.name = name; self.categories = categories; self.coveredBy = coveredBy; self.sameStream = sameStream
        self.olderThan = olderThan; self.keepNewest = keepNewest
        self.categoriesLocation = categoriesLocation; self.coveredByLocation = coveredByLocation
    }
}

/// A rule's part in its datasets' lives: it takes only datasets in `state` (a file with no
/// dataset never matches), and moves each whose removals all succeeded to `then`.
public struct DatasetStep: Sendable, Equatable {
    /// `dataset_state`: only datasets in this state of their category's state machine.
    public var state: String?
    /// `then_state`: where a dataset moves once the rule's actions on it all succeeded.
    public var then: String?
    /// Where `dataset_state` was written.
    public var stateLocation: SourceLocation?
    /// Where `then_state` was written.
    public var thenLocation: SourceLocation?

    /// A step; both parts optional.
    public init(state: String? = nil, then: String? = nil, stateLocation: SourceLocation? = nil, thenLocation: SourceLocation? = nil) {
        self.state = state; self.then = then; self.stateLocation = stateLocation; self.thenLocation = thenLocation
    }

    /// The rule selects by state or moves datasets on.
    public var isEmpty: Bool { state == nil && then == nil }

    /// Checks the step against the state machines of `categories` (the context definition's):
    /// each category declares one, `state` is one of its states and `state → then` one of its
    /// transitions; the error names the file, line and key, and the allowed transitions.
    public func check(categories: [String], machines: [DatasetStateMachine], rule: String) throws(DefinitionError) {
        guard let state, let stateLocation else { return }
        for category in categories {
            guard let m = machines.first(where: { $0.categories.contains(category) }) else {
                throw stateLocation.error("rule '\(rule)' selects datasets by state, but category '\(category)' declares no dataset states in "
                                          + "the context's definition ([[dataset_states]] with category = \"\(category)\")")
            }
            guard m.states.contains(state) else {
                throw stateLocation.error("'\(state)' is not a state of \(category) datasets; their states are \(m.states.joined(separator: ", "))")
            }
            if let then, let thenLocation, !m.allows(from: state, to: then) {
                let next = m.next(from: state)
                throw thenLocation.error("\(category) datasets cannot move from \(state) to \(then); from \(state) they may move to "
                                         + (next.isEmpty ? "no other state" : next.joined(separator: " or "))
                                         + " (allowed transitions: \(m.transitionsText))")
            }
        }
    }
}

extension Policy {
    /// Checks every rule's dataset states against the context definition's state machines.
    public func checkDatasetStates(_ machines: [DatasetStateMachine]) throws(DefinitionError) {
        for rule in rules where !rule.datasetStates.isEmpty {
            try rule.datasetStates.check(categories: rule.categories, machines: machines, rule: rule.name)
        }
    }

    /// Some rule selects datasets by state (and so needs the definition's state machines).
    public var usesDatasetStates: Bool { rules.contains { !$0.datasetStates.isEmpty } }
}

/// Where a value was written, so a problem found later (an unknown category) names it.
public struct SourceLocation: Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var key: String

    public init(file: String, line: Int? = nil, key: String) { self.file = file; self.line = line; self.key = key }

    public func error(_ message: String) -> DefinitionError { DefinitionError(file: file, line: line, key: key, message: message) }
}
