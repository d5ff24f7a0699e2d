import Synchronization

/// Live counters of a running scan, safe to read from another thread (for a progress line),
/// and, when asked for, each file the scan finds new, changed, back or missing.
public final class ScanProgress: Sendable {
    private let state = Mutex(Snapshot())
    private let onFile: (@Sendable (FileEvent) -> Void)?

    public struct Snapshot: Sendable {
        public var files = 0
        public var bytes: Int64 = 0
        public var directories = 0
        public var new = 0
        public var changed = 0
        public var errors = 0
    }

    /// A file whose catalog row the scan changes (unchanged files are not reported).
    public struct FileEvent: Sendable {
        public enum Kind: String, Sendable { case new, changed, back, missing }
        public var kind: Kind
        public var path: PathBytes
    }

    /// `onFile` is called on the scan's threads, once per file event, in no set order.
    public init(onFile: (@Sendable (FileEvent) -> Void)? = nil) { self.onFile = onFile }

    public var snapshot: Snapshot { state.withLock { $0 } }

    /// True when someone listens for file events (so paths are worth building).
    var reportsFiles: Bool { onFile != nil }

    func add(files: Int, bytes: Int64, new: Int, changed: Int, errors: Int) {
        state.withLock {
            $0.files += files; $0.bytes += bytes; $0.directories += 1
            $0.new += new; $0.changed += changed; $0.errors += errors
        }
    }

    func file(_ kind: FileEvent.Kind, _ path: PathBytes) { onFile?(FileEvent(kind: kind, path: path)) }
}
