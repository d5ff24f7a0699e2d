import Foundation

/// The states a category's datasets go through, as a context definition declares them in a
/// `[[dataset_states]]` table: the states, the one a new dataset starts in, and the moves
/// allowed between them (`"new -> merged -> copied"` allows new → merged and merged → copied).
public struct DatasetStateMachine: Sendable, Hashable {
    /// The categories whose datasets follow it.
    public var categories: [String]
    /// Every state, in the order declared.
    public var states: [String]
    /// Where a dataset starts when first catalogued.
    public var initial: String
    /// The allowed moves, as pairs in the order declared.
    public var transitions: [Transition]

    /// One allowed move.
    public struct Transition: Sendable, Hashable {
        /// The state a dataset leaves.
        public var from: String
        /// The state it enters.
        public var to: String

        /// The move from `from` to `to`.
        public init(from: String, to: String) { self.from = from; self.to = to }
    }

    /// A machine from its parts, unchecked (definitions check theirs as they parse).
    public init(categories: [String], states: [String], initial: String, transitions: [Transition]) {
        self.categories = categories; self.states = states; self.initial = initial; self.transitions = transitions
    }

    /// The states a dataset in `state` may move to, in the order declared.
    public func next(from state: String) -> [String] { transitions.filter { $0.from == state }.map(\.to) }

    /// Whether a dataset may move from `from` to `to`.
    public func allows(from: String, to: String) -> Bool { transitions.contains(Transition(from: from, to: to)) }

    /// The allowed moves as a person reads them: "new → merged, merged → copied".
    public var transitionsText: String {
        transitions.isEmpty ? "none" : transitions.map { "\($0.from) → \($0.to)" }.joined(separator: ", ")
    }

    /// A state name: letters, digits, `_`, `-` and `.`, starting with a letter or digit (it
    /// goes on command lines and in JSON unquoted).
    public static func isValidName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0) }
    }

    /// Parses the `[[dataset_states]]` tables of a definition; a category declared twice, an
    /// unknown initial state, a transition to a state not declared, a state listed twice or
    /// one that can never be reached are refused with file, line and key.
    static func parse(_ tables: [TOMLDocument.Table]) throws(DefinitionError) -> [DatasetStateMachine] {
        var machines: [DatasetStateMachine] = []
        var seen: [String: String] = [:]  // category → where it was declared first
        for t in tables {
            try t.rejectUnknownKeys(allowed: ["category", "states", "initial", "transitions"])
            guard let categories = try t.strings("category"), !categories.isEmpty else {
                var e = t.error("category", "\(t.path) needs 'category', the category (or categories) whose datasets have these states")
                e.line = e.line ?? t.error(nil, "").line ?? 1
                throw e
            }
            for c in categories {
                if c.isEmpty || c.contains(where: { $0.isWhitespace }) { throw t.error("category", "'\(c)' is not a category name") }
                if let first = seen[c] { throw t.error("category", "category '\(c)' already has its states declared in \(first)") }
                seen[c] = t.path
            }
            guard let states = try t.strings("states"), !states.isEmpty else {
                var e = t.error("states", "\(t.path) needs 'states', the list of its datasets' states")
                e.line = e.line ?? t.error(nil, "").line ?? 1
                throw e
            }
            var declared: Set<String> = []
            for (i, s) in states.enumerated() {
                guard isValidName(s) else {
                    throw t.elementError("states", i, "'\(s)' is not a state name: use letters, digits, '_', '-' and '.', starting with a letter or digit")
                }
                guard declared.insert(s).inserted else { throw t.elementError("states", i, "state '\(s)' is listed twice") }
            }
            let initial = try t.string("initial") ?? states[0]
            guard declared.contains(initial) else {
                throw t.error("initial", "'\(initial)' is not one of the declared states (\(states.joined(separator: ", ")))")
            }
            var transitions: [Transition] = []
            for (i, chain) in (try t.strings("transitions") ?? []).enumerated() {
                let steps = chain.split(separator: "->", omittingEmptySubsequences: false)
                    .map { String($0).trimmingCharacters(in: .whitespaces) }
                guard steps.count >= 2, !steps.contains(where: \.isEmpty) else {
                    throw t.elementError("transitions", i, "'\(chain)' is not a transition: write \"from -> to\" (or a chain \"a -> b -> c\")")
                }
                for s in steps where !declared.contains(s) {
                    throw t.elementError("transitions", i, "'\(chain)' goes through '\(s)', which is not a declared state (\(states.joined(separator: ", ")))")
                }
                for (from, to) in zip(steps, steps.dropFirst()) {
                    let move = Transition(from: from, to: to)
                    if from == to { throw t.elementError("transitions", i, "'\(from) -> \(to)' goes nowhere") }
                    if transitions.contains(move) { throw t.elementError("transitions", i, "'\(from) -> \(to)' is declared twice") }
                    transitions.append(move)
                }
            }
            // A state no transition leads to from the initial one could never be entered.
            var reached: Set<String> = [initial], frontier = [initial]
            while let s = frontier.popLast() {
                for m in transitions where m.from == s && reached.insert(m.to).inserted { frontier.append(m.to) }
            }
            if let lost = states.first(where: { !reached.contains($0) }) {
                throw t.error(t.has("transitions") ? "transitions" : "states",
                              "state '\(lost)' cannot be reached from the initial state '\(initial)'; add a transition to it, or drop it")
            }
            machines.append(DatasetStateMachine(categories: categories, states: states, initial: initial, transitions: transitions))
        }
        return machines
    }
}

extension ContextDefinition {
    /// The state machine of `category`'s datasets, if the definition declares one.
    public func stateMachine(for category: String) -> DatasetStateMachine? {
        stateMachines.first { $0.categories.contains(category) }
    }
}
