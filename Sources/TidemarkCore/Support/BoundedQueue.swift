import Foundation

/// A blocking FIFO between threads, bounded by a weight so producers wait when the
/// consumer falls behind (memory stays flat on a first scan of millions of files).
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(Element, Int)] = []
    private var head = 0
    private var weight = 0
    private var closed = false
    private let capacity: Int

    /// A queue that holds at most `capacity` of weight (and always one item).
    public init(capacity: Int) { self.capacity = capacity }

    /// Adds an item, waiting while the queue is over capacity (never for an empty queue).
    public func push(_ item: Element, weight w: Int) {
        condition.lock()
        while weight > 0 && weight + w > capacity && !closed { condition.wait() }
        items.append((item, w))
        weight += w
        condition.broadcast()
        condition.unlock()
    }

    /// Takes everything queued, waiting for at least one item; nil once closed and drained.
    public func popAll() -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        if items.count == head { return nil }
        let out = items[head...].map(\.0)
        items.removeAll(keepingCapacity: true)
        head = 0
        weight = 0
        condition.broadcast()
        return out
    }

    /// No more items will come; wakes the consumer and any waiting producer.
    public func close() {
        condition.lock(); closed = true; condition.broadcast(); condition.unlock()
    }
}
