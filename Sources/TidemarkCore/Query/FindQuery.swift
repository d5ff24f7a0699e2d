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
