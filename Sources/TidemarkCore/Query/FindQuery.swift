import Foundation

/// Filters for `find`: every field narrows the result; nil or empty means any.
public struct FindQuery: Sendable {
    public var context: String?
    public var categories: [String] = []
    public var stream: String?
    /// Coverage overlapping `[from, to)`; an instant coverage counts when inside it.
    public var from: Instant?
    public var to: Instant?
    /// States to list; empty means every state.
    public var states: [FileState] = [.live]
    public var limit: Int?

    public init() {}
}

extension FindQuery {
    /// With a time bound, find is covers (the indexed overlap search): that query, else nil.
    public var asCovers: CoversQuery? {
        guard from != nil || to != nil else { return nil }
        var c = CoversQuery(window: TimeWindow(begin: from, end: to))
        c.context = context
        c.categories = categories
        c.stream = stream
        c.states = states
        c.limit = limit
        return c
    }
}
