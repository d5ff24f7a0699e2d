/// The journal: every policy run's record and each action's intent (committed before the
/// action) and result (committed after); an intent without a result is what a killed run
/// leaves, and settling closes it. Writing removals needs the policy lock (`PolicyLock`), taken
/// as an argument so nothing removes without it; other actions journal through
/// `ActionJournal` (`ActionRunner`), which needs no lock.
public protocol JournalStore: CatalogListing, ActionJournal {
    /// Starts a run record; returns its id.
    func beginRun(policy: String, contextId: Int64, planned: Int, now: Instant, _ lock: PolicyLock) throws(CatalogError) -> Int64
    /// The catalog's view of the files a batch names, read again just before acting; only
    /// those under `roots`.
    func resolve(_ ids: [Int64], roots: Set<Int64>) throws(CatalogError) -> [Int64: ResolvedFile]
    /// The newest live files of some streams (starting by `startBy`), for the second check.
    func newest(streams: Set<Int64>, keep: Int, startBy: Instant, scope: RootScope) throws(CatalogError) -> Set<Int64>
    /// The live files of a dataset now, with their paths relative to their root.
    func liveMembers(dataset: Int64) throws(CatalogError) -> [Int64: PathBytes]
    /// Commits the intents of a batch (and the results of actions refused before acting),
    /// in one transaction; returns the entries' ids in order.
    func writeIntents(run: Int64, _ entries: [JournalEntry], at: Instant) throws(CatalogError) -> [Int64]
    /// Commits the results of a batch, turns removed files into tombstones and brings their
    /// streams' coverage and rollups up to date, in one transaction.
    func writeResults(run: Int64, _ results: [JournalOutcome], at: Instant) throws(CatalogError)
    /// Closes a run with its counts, taken from the journal.
    func finishRun(_ run: Int64, now: Instant) throws(CatalogError)
    /// The intents no result closed, oldest first, and the runs still marked running.
    func openIntents() throws(CatalogError) -> (intents: [OpenIntent], running: [Int64])
    /// Records what settling found, in one transaction: each intent's result (a `done` one
    /// becomes a tombstone dated at its intent), and every run in `runs` closed as interrupted.
    func settle(_ decided: [SettledIntent], runs: [Int64], now: Instant) throws(CatalogError)
    /// What the catalog holds under a root.
    func contents(of root: RootState) throws(CatalogError) -> RootContents
    /// Drops a root's directories and file rows (tombstones too), recomputing the streams and
    /// datasets they were part of; the forget is recorded with what the root held, and the
    /// journal entries of its files are kept with their paths. Returns the record's id.
    func forgetRoot(_ root: RootState, now: Instant, _ lock: PolicyLock) throws(CatalogError) -> (event: Int64, contents: RootContents)
}

/// What became of one journaled action, to record.
public struct JournalOutcome: Sendable {
    public var journalId: Int64
    public var action: PlannedAction
    public var streamId: Int64
    public var result: JournalResult
    public var detail: String?

    public init(journalId: Int64, action: PlannedAction, streamId: Int64, result: JournalResult, detail: String?) {
        self.journalId = journalId; self.action = action; self.streamId = streamId; self.result = result; self.detail = detail
    }
}

/// An intent a killed run left open, with the file as the run expected it.
public struct OpenIntent: Sendable {
    public var journalId: Int64
    public var run: Int64
    public var fileId: Int64
    public var kind: PlannedAction.Kind
    public var expected: FileStat
    /// When the intent was written (microseconds).
    public var intended: Int64
    public var rootId: Int64
    public var directory: PathBytes
    public var name: PathBytes

    public init(journalId: Int64, run: Int64, fileId: Int64, kind: PlannedAction.Kind, expected: FileStat, intended: Int64,
                rootId: Int64, directory: PathBytes, name: PathBytes) {
        self.journalId = journalId; self.run = run; self.fileId = fileId; self.kind = kind; self.expected = expected
        self.intended = intended; self.rootId = rootId; self.directory = directory; self.name = name
    }
}

/// An open intent and what settling found.
public struct SettledIntent: Sendable {
    public var intent: OpenIntent
    public var result: JournalResult
    public var detail: String

    public init(intent: OpenIntent, result: JournalResult, detail: String) { self.intent = intent; self.result = result; self.detail = detail }
}

/// What the catalog holds under one root.
public struct RootContents: Sendable {
    /// File rows, every state (tombstones too), and the live ones with their bytes.
    public var files = 0
    public var live = 0
    public var liveBytes: Int64 = 0
    public var directories = 0
    /// Journal entries of its files, and those still open (left by a killed run).
    public var journalEntries = 0
    public var openIntents = 0

    public init() {}
}

/// A journal entry to write: an intent (no result yet), or an action refused before acting.
public struct JournalEntry: Sendable {
    public var action: PlannedAction
    public var result: JournalResult?
    public var detail: String?

    public init(action: PlannedAction, result: JournalResult? = nil, detail: String? = nil) {
        self.action = action; self.result = result; self.detail = detail
    }
}

/// How a journal entry ended.
public enum JournalResult: String, Sendable, Codable {
    /// The file was removed (by this run, or found removed when settling a killed run).
    case done
    /// Already gone when the run came to it: not removed by Tidemark; now `missing`.
    case gone
    /// Not removed, for safety: changed since the scan, a symlink on the path, the newest of its stream…
    case skipped
    /// A system call failed.
    case failed
    /// Settling a killed run: it never removed the file, which is still there.
    case notDone = "not-done"
}

/// A file as the catalog holds it when the executor comes to it.
public struct ResolvedFile: Sendable {
    public var id: Int64
    public var state: FileState
    public var stat: FileStat
    public var streamId: Int64
    public var rootId: Int64
    /// Its directory, relative to its root.
    public var directory: PathBytes
    public var name: PathBytes
    public var datasetId: Int64?

    public init(id: Int64, state: FileState, stat: FileStat, streamId: Int64, rootId: Int64, directory: PathBytes, name: PathBytes, datasetId: Int64?) {
        self.id = id; self.state = state; self.stat = stat; self.streamId = streamId; self.rootId = rootId
        self.directory = directory; self.name = name; self.datasetId = datasetId
    }

    /// The path relative to its root, for messages.
    public var relativePath: PathBytes { directory.appendingComponent(name) }
}
