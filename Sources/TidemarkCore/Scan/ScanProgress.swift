import Synchronization

/// Live counters of a running scan, safe to read from another thread (for a progress line).
public final class ScanProgress: Sendable {
    private let state = Mutex(Snapshot())

    public struct Snapshot: Sendable {
        public var files = 0
        public var bytes: Int64 = 0
        public var directories = 0
        public var new = 0
        public var changed = 0
        public var errors = 0
    }

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func add(files: Int, bytes: Int64, new: Int, changed: Int, errors: Int) {
        state.withLock {
            $0.files += files; $0.bytes += bytes; $0.directories += 1
            $0.new += new; $0.changed += changed; $0.errors += errors
        }
    }
}
