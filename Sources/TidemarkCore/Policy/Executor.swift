import Foundation

/// How to execute.
public struct ExecutionOptions: Sendable {
    /// Actions per journal transaction: intents of a batch are committed before any of its
    /// files is touched, results after.
    public var batchSize = 1000
    /// Called after each removal with the number removed so far (tests kill the process here).
    public var afterRemoval: (@Sendable (Int) -> Void)?

    public init() {}
}

/// What became of one planned action.
public struct ActionResult: Sendable {
    public var action: PlannedAction
    public var result: JournalResult
    public var detail: String?
}

/// What an executed plan did.
public struct ExecutionReport: Sendable {
    public var runId: Int64
    public var results: [ActionResult]

    public func count(_ r: JournalResult) -> Int { results.reduce(0) { $0 + ($1.result == r ? 1 : 0) } }
    public var bytesRemoved: Int64 { results.reduce(0) { $0 + ($1.result == .done ? $1.action.bytes : 0) } }
    /// Something planned was skipped for safety or failed.
    public var hasFaults: Bool { results.contains { $0.result == .skipped || $0.result == .failed } }
}

/// Carries out a plan under the journal, checking each file again just before removing it.
///
/// For each action: the catalog row must still be live, under a root of the plan's context,
/// identical to the plan's, and not among the newest of its stream; a cleanup's cover must
/// still be on disk unchanged. Then `RootDirectory.remove` checks device, inode, size and
/// mtime on disk, with no symbolic link followed.
public struct PolicyExecutor: Sendable {
    public let catalog: SQLiteCatalog
    /// The clock for journal and tombstone times.
    public let clock: @Sendable () -> Instant

    public init(catalog: SQLiteCatalog, clock: @escaping @Sendable () -> Instant = { Instant(secondsSince1970: Date().timeIntervalSince1970) }) {
        self.catalog = catalog
        self.clock = clock
    }

    /// Executes `plan`. Needs the catalog's policy lock; settle the journal first.
    public func execute(_ plan: Plan, lock: PolicyLock, options: ExecutionOptions = ExecutionOptions()) throws(PolicyError) -> ExecutionReport {
        var progress = Progress()
        do {
            return try run(plan, lock, options, &progress)
        } catch let e as PolicyError { throw e } catch let e as CatalogError {
            // Once the run is journaled, say what it did before the catalog failed.
            throw progress.run.map { .interrupted(run: $0, removed: progress.removed, bytes: progress.bytes, cause: e) } ?? .catalog(e)
        } catch {
            throw .catalog(CatalogError(path: catalog.path, message: "\(error)"))
        }
    }

    /// How far a run got.
    private struct Progress { var run: Int64?, removed = 0, bytes: Int64 = 0 }

    private func run(_ plan: Plan, _ lock: PolicyLock, _ options: ExecutionOptions, _ progress: inout Progress) throws -> ExecutionReport {
        guard let context = try catalog.policyContext(plan.context), context.id == plan.contextId else {
            throw PolicyError.configuration(DefinitionError(file: "<plan>", message: "the catalog no longer holds context \(plan.context)"))
        }
        let rootIds = Set(context.roots.map(\.id))
        let rootPaths = Dictionary(context.roots.map { ($0.id, $0.path) }, uniquingKeysWith: { a, _ in a })
        var roots: [Int64: Result<RootDirectory, SystemError>] = [:]
        func root(_ id: Int64) -> Result<RootDirectory, SystemError> {
            if let r = roots[id] { return r }
            let r: Result<RootDirectory, SystemError>
            if let path = rootPaths[id] {
                do { r = .success(try RootDirectory(path: path)) } catch { r = .failure(error) }
            } else {
                r = .failure(SystemError("open", errno: ENOENT, path: Array("<root #\(id) of another context>".utf8)))
            }
            roots[id] = r
            return r
        }
        let runId = try catalog.beginRun(policy: plan.policy, contextId: plan.contextId, planned: plan.actions.count, now: clock(), lock)
        progress.run = runId
        var results: [ActionResult] = []
        results.reserveCapacity(plan.actions.count)
        var removed = 0
        var coverChecked = Set<Int64>()
        var coverProblems: [Int64: String] = [:]  // cover file id → why it no longer covers

        var start = 0
        while start < plan.actions.count {
            let batch = Array(plan.actions[start..<min(start + max(1, options.batchSize), plan.actions.count)])
            start += batch.count
            let files = try catalog.resolve(batch.map(\.fileId), roots: rootIds)
            // The newest of each stream, read again now: never removed whatever the plan says.
            var newest = Set<Int64>()
            for (keep, actions) in Dictionary(grouping: batch, by: \.keepNewest) {
                newest.formUnion(try catalog.newest(streams: Set(actions.compactMap { files[$0.fileId]?.streamId }), keep: keep))
            }
            let coverIds = Set(batch.flatMap(\.coveredBy)).subtracting(coverChecked)
            if !coverIds.isEmpty {
                coverChecked.formUnion(coverIds)
                let covers = try catalog.resolve(Array(coverIds), roots: rootIds)
                for id in coverIds {
                    guard let c = covers[id], c.state == .live else { coverProblems[id] = "is no longer live in the catalog"; continue }
                    switch root(c.rootId) {
                    case .failure(let e): coverProblems[id] = "cannot be checked: \(e.reason)"
                    case .success(let r):
                        if let o = r.verify(directory: c.directory, name: c.name, expected: c.stat) { coverProblems[id] = "on disk: " + Self.describe(o) }
                    }
                }
            }

            var entries: [JournalEntry] = []
            for a in batch {
                var refusal: String?
                if let f = files[a.fileId] {
                    if f.state != .live { refusal = "no longer live in the catalog (\(f.state.name))" }
                    else if f.stat != a.expected { refusal = "catalogued anew since the plan was made (a scan saw it change)" }
                    else if newest.contains(a.fileId) { refusal = "among the \(a.keepNewest == 1 ? "newest file" : "\(a.keepNewest) newest files") of stream \(a.stream): never removed" }
                    else if let bad = a.coveredBy.first(where: { coverProblems[$0] != nil }) {
                        refusal = "its cover (catalogued file #\(bad)) \(coverProblems[bad]!)"
                    } else if a.kind == .purge && a.coveredBy.isEmpty { refusal = "a cleanup without cover" }
                } else {
                    refusal = "not a catalogued file under a root of \(plan.context)"
                }
                entries.append(JournalEntry(action: a, result: refusal == nil ? nil : .skipped, detail: refusal))
            }
            let at = clock()
            let journalIds = try catalog.writeIntents(run: runId, entries, at: at)   // committed before anything is removed

            var done: [(journalId: Int64, action: PlannedAction, streamId: Int64, result: JournalResult, detail: String?)] = []
            for (i, e) in entries.enumerated() {
                if let r = e.result { results.append(ActionResult(action: e.action, result: r, detail: e.detail)); continue }
                let f = files[e.action.fileId]!
                let outcome: RemovalOutcome
                switch root(f.rootId) {
                case .failure(let err): outcome = .failed(err)
                case .success(let r): outcome = r.remove(directory: f.directory, name: f.name, expected: f.stat)
                }
                let (result, detail): (JournalResult, String?) = switch outcome {
                case .removed: (.done, nil)
                case .gone: (.gone, "already gone from disk; now a missing tombstone")
                case .changed, .unsafe: (.skipped, Self.describe(outcome))
                case .failed: (.failed, Self.describe(outcome))
                }
                done.append((journalIds[i], e.action, f.streamId, result, detail))
                results.append(ActionResult(action: e.action, result: result, detail: detail))
                if result == .done {
                    removed += 1
                    (progress.removed, progress.bytes) = (removed, progress.bytes + e.action.bytes)
                    options.afterRemoval?(removed)
                }
            }
            try catalog.writeResults(run: runId, done, at: clock())
        }
        try catalog.finishRun(runId, now: clock())
        return ExecutionReport(runId: runId, results: results)
    }

    static func describe(_ o: RemovalOutcome) -> String {
        switch o {
        case .removed: "removed"
        case .gone: "gone from disk"
        case .changed(let why): why
        case .unsafe(let why): "not followed: \(why)"
        case .failed(let e): "\(e.call) failed: \(e.reason)"
        }
    }
}
