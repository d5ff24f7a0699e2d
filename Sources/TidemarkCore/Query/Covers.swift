import Foundation

/// "What data covers this time?": files whose coverage overlaps a window.
public struct CoversQuery: Sendable {
    public var window: TimeWindow
    public var context: String?
    public var categories: [String] = []
    public var stream: String?
    /// States to list; empty means every state.
    public var states: [FileState] = [.live]
    /// Include tombstones: files found missing, or deleted or purged by Tidemark.
    public var includeGone: Bool {
        get { states.isEmpty }
        set { states = newValue ? [] : [.live] }
    }
    public var limit: Int?

    public init(window: TimeWindow) { self.window = window }
}
