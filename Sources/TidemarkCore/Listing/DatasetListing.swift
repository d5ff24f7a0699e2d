/// A dataset as `dataset list --json` and `/api/datasets` show it: every key present, null
/// when there is no value, so scripts can rely on each.
public struct DatasetListing: Sendable, Encodable {
    public let dataset: String, context: String, category: String, stream: String?, state: String?, stateSince: Instant?
    /// The states it may move to now.
    public let next: [String]
    public let files: Int, bytes: Int64, start: Instant?, end: Instant?

    /// The dataset under its category's state machine (nil when none is declared).
    public init(_ d: DatasetRecord, _ m: DatasetStateMachine?) {
        dataset = d.name; context = d.context; category = d.category; stream = d.stream
        state = DatasetStates.state(of: d, machine: m); stateSince = d.stateSince
        next = state.map { m?.next(from: $0) ?? [] } ?? []
        files = d.files; bytes = d.bytes; start = d.start; end = d.end
    }

    /// The listing of `records`, each under the state machine its context's definition
    /// declares (a context without a definition: none), keeping those in `state` when given.
    public static func list(_ records: [DatasetRecord], definitions: [String: ContextDefinition], state: String?) -> [DatasetListing] {
        records.map { DatasetListing($0, definitions[$0.context]?.stateMachine(for: $0.category)) }
            .filter { state == nil || $0.state == state }
    }

    /// The definitions of the contexts of `records` that have one, by context name.
    public static func definitions(for records: [DatasetRecord], in library: DefinitionLibrary) throws(DefinitionError) -> [String: ContextDefinition] {
        var out: [String: ContextDefinition] = [:]
        for c in Set(records.map(\.context)) { out[c] = try library.definition(for: c) }
        return out
    }

    private enum CodingKeys: String, CodingKey { case dataset, context, category, stream, state, state_since, next, files, bytes, start, end }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dataset, forKey: .dataset); try c.encode(context, forKey: .context); try c.encode(category, forKey: .category)
        try c.encode(stream, forKey: .stream); try c.encode(state, forKey: .state); try c.encode(stateSince?.iso8601, forKey: .state_since)
        try c.encode(next, forKey: .next); try c.encode(files, forKey: .files); try c.encode(bytes, forKey: .bytes)
        try c.encode(start?.iso8601, forKey: .start); try c.encode(end?.iso8601, forKey: .end)
    }
}
