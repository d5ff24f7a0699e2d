import Foundation

/// How to execute.
public struct ExecutionOptions: Sendable {
    /// Actions per journal transaction: intents of a batch are committed before any of its
    /// files is touched, results after. A dataset is never split: a batch holds it whole.
    public var batchSize = 1000
    /// Called after each removal with the number removed so far (tests kill the process here).
    public var afterRemoval: (@Sendable (Int) -> Void)?
    /// Called when a dataset action's intent is committed, before its act (tests kill the process here).
    public var afterDatasetIntent: (@Sendable (Int64) -> Void)?

    public init() {}
}

/// What became of one planned action.
public struct ActionResult: Sendable {
    public var action: PlannedAction
    public var result: JournalResult
    public var detail: String?
}

/// What became of one planned dataset action.
public struct DatasetActionResult: Sendable {
    public var action: DatasetAction
    public var outcome: ActionOutcome
}

/// What an executed plan did.
public struct ExecutionReport: Sendable {
    public var runId: Int64
    public var results: [ActionResult]
    /// The dataset actions, each journaled (in the plan's order).
    public var datasetResults: [DatasetActionResult] = []

    public func count(_ r: JournalResult) -> Int { results.reduce(0) { $0 + ($1.result == r ? 1 : 0) } }
    public var bytesRemoved: Int64 { results.reduce(0) { $0 + ($1.result == .done ? $1.action.bytes : 0) } }
    /// Something planned was skipped for safety or failed.
    public var hasFaults: Bool {
        results.contains { $0.result == .skipped || $0.result == .failed }
            || datasetResults.contains { $0.outcome.result == .skipped || $0.outcome.result == .failed }
    }
}

/// Carries out a plan under the journal, checking each file again just before removing it.
///
/// For each action: the catalog row must still be live, under a root of the plan's context,
/// identical to the plan's, not among the newest of its stream, and not a file this plan
/// relies on as cover; a cleanup's cover must still be on disk unchanged. Then
/// `RootDirectory.remove` checks device, inode, size, mtime and ctime on disk, with no
/// symbolic link followed. A dataset is one unit: it is never split across journal
/// batches, every member is checked (catalog and disk) before any is removed, and if one
/// fails, none goes.
public struct PolicyExecutor: Sendable {
    public let catalog: any JournalStore
    /// The clock for journal and tombstone times, and for telling future-dated files.
    public let clock: @Sendable () -> Instant

    public init(catalog: any JournalStore, clock: @escaping @Sendable () -> Instant = { Instant(secondsSince1970: Date().timeIntervalSince1970) }) {
        self.catalog = catalog
        self.clock = clock
    }

    /// Executes `plan`. Needs the catalog's policy lock; settle the journal first.
    public func execute(_ plan: Plan, lock: PolicyLock, options: ExecutionOptions = ExecutionOptions()) throws(PolicyError) -> ExecutionReport {
        // The lock keeps scans off one context only: it must be the plan's.
        guard lock.context == plan.context else {
            throw .configuration(DefinitionError(file: "<plan>", message: "the plan is for \(plan.context) but the lock held is for \(lock.context)"))
        }
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
        // Only under the context's current roots, each still the directory catalogued.
        let roots = try OpenRoots(catalog, context: context.name, definitionRoots: plan.definitionRoots)
        let rootIds = roots.ids
        func root(_ id: Int64) -> Result<RootDirectory, SystemError> { roots.directory(id) }
        let runId = try catalog.beginRun(policy: plan.policy, contextId: plan.contextId, planned: plan.actions.count, now: clock(), lock)
        progress.run = runId
        var results: [ActionResult] = []
        results.reserveCapacity(plan.actions.count)
        var removed = 0
        var coverChecked = Set<Int64>()
        var coverProblems: [Int64: String] = [:]  // cover file id → why it no longer covers
        // The files this plan relies on as cover: none of them is removed by it, whatever it says.
        var coverFor: [Int64: PlannedAction] = [:]
        for a in plan.actions { for id in a.coveredBy where coverFor[id] == nil { coverFor[id] = a } }

        let units = Self.units(plan.actions)
        var next = 0
        while next < units.count {
            // Whole units: a dataset never straddles two batches.
            var batch: [[PlannedAction]] = []
            var size = 0
            repeat {
                batch.append(units[next])
                size += units[next].count
                next += 1
            } while next < units.count && size + units[next].count <= max(1, options.batchSize)
            let actions = batch.flatMap { $0 }
            let files = try catalog.resolve(actions.map(\.fileId), roots: rootIds)
            // The newest of each stream, read again now: never removed whatever the plan says.
            let futureAfter = PolicyQueries.futureAfter(clock(), tolerance: plan.futureTolerance)
            // Per `keep_newest`, as each rule planned: one rule's larger keep protects nothing of another's.
            var newest: [Int: Set<Int64>] = [:]
            for (keep, actions) in Dictionary(grouping: actions, by: \.keepNewest) {
                newest[keep] = try catalog.newest(streams: Set(actions.compactMap { files[$0.fileId]?.streamId }), keep: keep,
                                                  startBy: futureAfter, scope: roots.scope)
            }
            let coverIds = Set(actions.flatMap(\.coveredBy)).subtracting(coverChecked)
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

            /// Why `a` may not go, from the catalog as it is now; nil when it may.
            func refusal(_ a: PlannedAction) -> String? {
                guard let f = files[a.fileId] else { return "not a catalogued file under a root of \(plan.context)" }
                if f.state != .live { return "no longer live in the catalog (\(f.state.name))" }
                if f.stat != a.expected { return "catalogued anew since the plan was made (a scan saw it change)" }
                if newest[a.keepNewest]?.contains(a.fileId) == true {
                    return "among the \(a.keepNewest == 1 ? "newest file" : "\(a.keepNewest) newest files") of stream \(a.stream): never removed"
                }
                if let user = coverFor[a.fileId] { return "this plan relies on it as cover for \(user.path.displayPath): not removed by it" }
                if let bad = a.coveredBy.first(where: { coverProblems[$0] != nil }) {
                    return "its cover (catalogued file #\(bad)) \(coverProblems[bad]!)"
                }
                if a.kind == .purge && a.coveredBy.isEmpty { return "a cleanup without cover" }
                if f.datasetId != a.datasetId { return "its dataset changed since the plan was made" }
                return nil
            }

            var entries: [JournalEntry] = []
            for unit in batch {
                var refusals = unit.map(refusal)
                if let d = unit[0].datasetId {
                    refusals = try datasetRefusals(unit, d, refusals, files, root)
                }
                entries += zip(unit, refusals).map { JournalEntry(action: $0, result: $1 == nil ? nil : .skipped, detail: $1) }
            }
            let at = clock()
            let journalIds = try catalog.writeIntents(run: runId, entries, at: at)   // committed before anything is removed

            var done: [JournalOutcome] = []
            var i = 0
            for unit in batch {
                // A member of a dataset that fails at the last check stops the rest of it.
                var halted: String?
                for _ in unit {
                    defer { i += 1 }
                    let e = entries[i]
                    if let r = e.result { results.append(ActionResult(action: e.action, result: r, detail: e.detail)); continue }
                    let f = files[e.action.fileId]!
                    let (result, detail): (JournalResult, String?)
                    if let halted {
                        (result, detail) = (.skipped, halted)
                    } else {
                        let outcome: RemovalOutcome
                        switch root(f.rootId) {
                        case .failure(let err): outcome = .failed(err)
                        case .success(let r): outcome = r.remove(directory: f.directory, name: f.name, expected: f.stat)
                        }
                        (result, detail) = switch outcome {
                        case .removed: (.done, nil)
                        case .gone: (.gone, "already gone from disk; now a missing tombstone")
                        case .changed, .unsafe: (.skipped, Self.describe(outcome))
                        case .failed: (.failed, Self.describe(outcome))
                        }
                        if result != .done, let d = e.action.dataset {
                            halted = "dataset \(d) not removed further: its file \(f.relativePath.displayPath) "
                                + "\(detail ?? "changed") just before removal; the rest of it is kept"
                        }
                    }
                    done.append(JournalOutcome(journalId: journalIds[i], action: e.action, streamId: f.streamId, result: result, detail: detail))
                    results.append(ActionResult(action: e.action, result: result, detail: detail))
                    if result == .done {
                        removed += 1
                        (progress.removed, progress.bytes) = (removed, progress.bytes + e.action.bytes)
                        options.afterRemoval?(removed)
                    }
                }
            }
            try catalog.writeResults(run: runId, done, at: clock())
        }
        let datasetResults = try perform(plan, run: runId, removals: results, options)
        try catalog.finishRun(runId, now: clock())
        return ExecutionReport(runId: runId, results: results, datasetResults: datasetResults)
    }

    // MARK: dataset actions

    /// Runs the plan's dataset actions after its removals, each through the action journal
    /// with one performer per kind.
    private func perform(_ plan: Plan, run: Int64, removals: [ActionResult], _ options: ExecutionOptions) throws -> [DatasetActionResult] {
        guard !plan.datasetActions.isEmpty else { return [] }
        let done = Set(removals.filter { $0.result == .done }.map(\.action.fileId))
        let runner = ActionRunner(journal: catalog, clock: clock)
        let by = "policy run \(plan.policy) (run #\(run))"
        return try plan.datasetActions.map { a in
            switch a {
            case .state(let c):
                return DatasetActionResult(action: a, outcome: try moveState(c, done: done, runner: runner, by: by, run: run, options))
            }
        }
    }

    /// `then_state`: moves the dataset once every removal it waits for was done; when one
    /// was not, the move is journaled as skipped, saying which.
    private func moveState(_ c: PlannedStateChange, done: Set<Int64>, runner: ActionRunner, by: String, run: Int64,
                           _ options: ExecutionOptions) throws -> ActionOutcome {
        let waiting = c.after.filter { !done.contains($0) }.count
        guard waiting == 0, let store = catalog as? any DatasetStore else {
            let why = waiting > 0 ? "not moved to \(c.to): \(waiting) of its \(c.after.count) files were not removed"
                                  : "not moved to \(c.to): the catalog keeps no dataset states"
            let intent = ActionIntent(kind: .state, subject: .dataset(c.datasetId), detail: "dataset \(c.dataset) from \(c.from) to \(c.to)",
                                      by: by, target: c.to, rule: c.rule, run: run)
            return try runner.run(intent) { _ in .skipped(why) }
        }
        let moved = try DatasetStates.journaledMove(c.datasetId, name: c.dataset, from: c.from, to: c.to, machine: c.machine, store: store,
                                                    runner: runner, by: by, rule: c.rule, run: run, beforeAct: options.afterDatasetIntent)
        return moved == nil ? .skipped("not moved to \(c.to): it was no longer in \(c.from) (another mover was first)") : .done()
    }

    /// The plan's actions as units: each dataset's together (where its first member stands),
    /// every other action alone.
    static func units(_ actions: [PlannedAction]) -> [[PlannedAction]] {
        var units: [[PlannedAction]] = []
        var unitOf: [Int64: Int] = [:]
        for a in actions {
            if let d = a.datasetId, let u = unitOf[d] { units[u].append(a); continue }
            if let d = a.datasetId { unitOf[d] = units.count }
            units.append([a])
        }
        return units
    }

    /// A dataset's refusals: if any member may not go (its own refusal, a live member the
    /// plan lacks, or a file changed on disk), none goes, each saying which member and why.
    private func datasetRefusals(_ unit: [PlannedAction], _ dataset: Int64, _ own: [String?], _ files: [Int64: ResolvedFile],
                                 _ root: (Int64) -> Result<RootDirectory, SystemError>) throws -> [String?] {
        let name = unit[0].dataset ?? "#\(dataset)"
        func display(_ a: PlannedAction) -> String { files[a.fileId]?.relativePath.displayPath ?? a.path.displayPath }
        let planned = Set(unit.map(\.fileId))
        var why: String?
        if let i = own.firstIndex(where: { $0 != nil }) {
            why = "\(display(unit[i])): \(own[i]!)"
        } else if let extra = try catalog.liveMembers(dataset: dataset).filter({ !planned.contains($0.key) }).values
                    .min(by: { $0.lexicographicallyPrecedes($1) }) {
            why = "\(extra.displayPath) is a live file of it that the plan does not hold (catalogued after the plan was made)"
        } else {
            // Every member on disk as catalogued, before any is removed.
            for a in unit {
                let f = files[a.fileId]!
                switch root(f.rootId) {
                case .failure(let e): why = "\(f.relativePath.displayPath) cannot be checked: \(e.reason)"
                case .success(let r):
                    if let o = r.verify(directory: f.directory, name: f.name, expected: f.stat) {
                        why = "\(f.relativePath.displayPath) " + (o.isGone ? "is already gone from disk" : Self.describe(o))
                    }
                }
                if why != nil { break }
            }
        }
        guard let why else { return own }
        return unit.map { _ in "dataset \(name) kept whole, none of its \(unit.count) files removed: \(why)" }
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

extension RemovalOutcome {
    /// Nothing by that name is there any more.
    var isGone: Bool { if case .gone = self { true } else { false } }
}
