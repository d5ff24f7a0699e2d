import Foundation

/// Builds plans: pure logic over one planning snapshot of the store and the file systems'
/// usage; changes nothing.
public struct PolicyPlanner: Sendable {
    public let catalog: any PlanningStore
    public let facts: FileSystemFacts
    /// The roots the context's definition names now; nil when no definition was found (then
    /// the roots of the context's latest complete scan are its current roots).
    public let definitionRoots: [PathBytes]?
    /// The context definition's dataset state machines: what `dataset_state` and `then_state`
    /// are checked against.
    public let stateMachines: [DatasetStateMachine]

    public init(catalog: any PlanningStore, facts: FileSystemFacts = .live, definitionRoots: [PathBytes]? = nil,
                stateMachines: [DatasetStateMachine] = []) {
        self.catalog = catalog
        self.facts = facts
        self.definitionRoots = definitionRoots
        self.stateMachines = stateMachines
    }

    /// The plan for `policy` at `now`. Rules run in order; a file chosen by one rule is not
    /// chosen again, and does not count as cover for a later cleanup rule; a file a cleanup
    /// relied on as cover is not chosen by a later rule.
    public func plan(_ policy: Policy, now: Instant) throws(PolicyError) -> Plan {
        var context = try catalog.validate(policy)
        let datasetStates = try datasetStates(policy, context: context.name)
        // Only current, available roots: the others are left alone, and the plan says why.
        let roots: ContextRoots
        do { roots = try catalog.contextRoots(context.name, definitionRoots: definitionRoots) } catch { throw .catalog(error) }
        context.roots = roots.usable.map { (id: $0.id, path: $0.path) }
        var usage: [UInt64: (root: PathBytes, usage: FileSystemUsage)] = [:]
        for root in context.roots where policy.rules.contains(where: \.usesWatermark) {
            let u: FileSystemUsage
            do { u = try facts.usage(root.path) } catch { throw .root(error) }
            if usage[u.device] == nil { usage[u.device] = (root.path, u) }
        }
        do {
            return try catalog.withSnapshot { snapshot in
                var state = PlanState(snapshot: snapshot, context: context, scope: roots.scope, now: now, futureTolerance: policy.futureTolerance)
                state.open = try snapshot.openJournalFiles()
                state.pins = Pins(try snapshot.pinnedFiles(at: now))
                state.datasetStates = datasetStates
                state.machines = stateMachines
                var outcomes: [RuleOutcome] = []
                for rule in policy.rules {
                    switch rule {
                    case .ageOff(let r): outcomes.append(try state.ageOff(r, usage: usage))
                    case .cleanup(let r): outcomes.append(try state.cleanup(r))
                    }
                }
                return Plan(policy: policy.name, context: context.name, contextId: context.id, now: now, actions: state.actions,
                            datasetActions: state.datasetActions, rules: outcomes, openJournalEntries: state.open.count,
                            futureTolerance: policy.futureTolerance, skippedRoots: roots.skipped, definitionRoots: definitionRoots)
            }
        } catch { throw .catalog(error) }
    }
}

extension PolicyPlanner {
    /// The state of each dataset of the categories that rules select by state (a stored
    /// state of nil is its machine's initial one), after checking every rule's states
    /// against the definition's machines. Empty when no rule selects by state.
    func datasetStates(_ policy: Policy, context: String) throws(PolicyError) -> [Int64: String] {
        guard policy.usesDatasetStates else { return [:] }
        do { try policy.checkDatasetStates(stateMachines) } catch { throw .configuration(error) }
        guard let store = catalog as? any DatasetStore else { return [:] }
        let categories = Set(policy.rules.filter { !$0.datasetStates.isEmpty }.flatMap(\.categories)).sorted()
        let records: [DatasetRecord]
        do { records = try store.datasets(DatasetFilter(context: context, categories: categories)) } catch { throw .catalog(error) }
        var out: [Int64: String] = [:]
        for d in records {
            if let s = DatasetStates.state(of: d, machine: stateMachines.first { $0.categories.contains(d.category) }) { out[d.id] = s }
        }
        return out
    }
}

extension PolicyRule {
    var usesWatermark: Bool {
        if case .ageOff(let r) = self, case .watermark = r.target { return true }
        return false
    }
}

/// One plan being built: the actions so far and what the catalog says.
private struct PlanState {
    let snapshot: any PlanningSnapshot
    let context: PolicyContext
    /// The roots whose files the plan may choose, and count as newest or as cover.
    let scope: RootScope
    let now: Instant
    /// Files starting after this are future-dated: never the newest, aged off only when named.
    let futureAfter: Instant
    let futureTolerance: Int64
    var actions: [PlannedAction] = []
    var chosen = Set<Int64>()
    /// Files a cleanup relied on as cover, with its rule: no later rule chooses them.
    var cover: [Int64: String] = [:]
    /// Files the current rule left alone because they are cover.
    var keptAsCover = Set<Int64>()
    /// Files with an open journal entry: an interrupted run may have removed them already.
    var open = Set<Int64>()
    /// Files open requests need (Pins.swift).
    var pins = Pins()
    /// Bytes chosen so far on each device, for watermark rules that follow.
    var freed: [UInt64: Int64] = [:]
    /// The state of each dataset that rules select by state.
    var datasetStates: [Int64: String] = [:]
    /// The definition's dataset state machines.
    var machines: [DatasetStateMachine] = []
    /// The datasets the current rule chose, with their category and files, in order.
    var ruleDatasets: [(id: Int64, name: String, category: String, files: [Int64])] = []
    /// What the plan does to datasets beside removing their files.
    var datasetActions: [DatasetAction] = []
    private var dirs: [Int64: PathBytes] = [:]
    private var rootPaths: [Int64: PathBytes]

    init(snapshot: any PlanningSnapshot, context: PolicyContext, scope: RootScope, now: Instant, futureTolerance: Int64) {
        self.snapshot = snapshot
        self.context = context
        self.scope = scope
        self.now = now
        self.futureTolerance = futureTolerance
        futureAfter = PolicyQueries.futureAfter(now, tolerance: futureTolerance)
        rootPaths = Dictionary(context.roots.map { ($0.id, $0.path) }, uniquingKeysWith: { a, _ in a })
    }

    /// Stream ids and names of some categories.
    func streams(_ categories: [String]) throws -> [Int64: StreamName] {
        try snapshot.streams(context: context.id, categories: categories)
    }

    /// The `n` newest live files of each stream, future-dated ones aside: never candidates.
    func newest(_ streams: some Sequence<Int64>, keep n: Int) throws -> Set<Int64> {
        try snapshot.newest(streams: Array(streams), keep: n, startBy: futureAfter, scope: scope)
    }

    /// Why the newest of some streams are what they are: the future-dated files set aside,
    /// for a rule's note; nil when there are none.
    mutating func futureNote(_ streams: [Int64], agedOff: Bool) throws -> String? {
        guard !streams.isEmpty else { return nil }
        let (n, latest) = try snapshot.futureFiles(streams: streams, after: futureAfter, scope: scope)
        guard n > 0, let latest else { return nil }
        let example = try path(dirId: latest.directory, name: latest.name)
        let one = n == 1
        return "\(n) future-dated file\(one ? "" : "s") (coverage starting after \(futureAfter.iso8601), over "
            + "\(durationText(futureTolerance)) from now; e.g. \(example.displayPath)) \(one ? "is" : "are") not counted as the "
            + "newest of \(one ? "its stream" : "their streams"), whose newest real file stays"
            + (agedOff ? ", and \(one ? "is" : "are") aged off only by a time range that ends after \(one ? "it" : "them")" : "")
    }

    /// The absolute path of a catalogued file.
    mutating func path(_ c: Candidate) throws -> PathBytes { try path(dirId: c.dirId, name: c.name) }

    mutating func path(dirId: Int64, name: PathBytes) throws -> PathBytes {
        if let d = dirs[dirId] { return d.appendingComponent(name) }
        let row = try snapshot.directory(dirId)
        let rel = row?.path ?? []
        let root = row.flatMap { rootPaths[$0.root] } ?? []
        let dir = rel.isEmpty ? root : root.appendingComponent(rel)
        dirs[dirId] = dir
        return dir.appendingComponent(name)
    }

    mutating func add(_ c: Candidate, kind: PlannedAction.Kind, stream: StreamName, rule: String,
                      reason: String, keepNewest: Int, dataset: String?, coveredBy: [Int64] = []) throws {
        actions.append(PlannedAction(kind: kind, fileId: c.id, path: try path(c), category: stream.category, stream: stream.name,
                                     bytes: c.stat.size, coverage: c.coverage, expected: c.stat, rule: rule, reason: reason,
                                     keepNewest: keepNewest, coveredBy: coveredBy,
                                     datasetId: dataset == nil ? nil : c.datasetId, dataset: dataset))
        chosen.insert(c.id)
        freed[c.stat.device, default: 0] += c.stat.size
    }

    /// Datasets the current rule has weighed: true when taken whole, false when refused.
    var datasets: [Int64: Bool] = [:]

    /// Starts a rule: datasets one rule refused may suit the next.
    mutating func beginRule() {
        datasets = [:]
        keptAsCover = []
        pins.beginRule()
        ruleDatasets = []
    }

    /// Records that the current rule chose dataset `id` whole (for its `then_state`).
    mutating func chose(dataset id: Int64?, name: String?, category: String, files: [Candidate]) {
        guard let id, let name else { return }
        ruleDatasets.append((id, name, category, files.map(\.id)))
    }

    /// The test `dataset_state` adds to a rule's: the file's dataset is in `state` (a file
    /// with no dataset never matches). Always true when the rule names no state.
    func inState(_ state: String?) -> (Candidate) -> Bool {
        guard let state else { return { _ in true } }
        let states = datasetStates
        return { c in c.datasetId.map { states[$0] == state } ?? false }
    }

    /// Ends a rule: each dataset it chose moves to `then_state` once its removals are done.
    mutating func endRule(_ rule: String, _ step: DatasetStep) {
        guard let from = step.state, let to = step.then else { return }
        for d in ruleDatasets {
            guard let machine = machines.first(where: { $0.categories.contains(d.category) }) else { continue }
            datasetActions.append(.state(PlannedStateChange(datasetId: d.id, dataset: d.name, category: d.category, from: from, to: to,
                                                            machine: machine, rule: rule, after: d.files)))
        }
    }

    /// The note of a rule that selects datasets by state.
    func stateNote(_ step: DatasetStep) -> String? {
        guard let state = step.state else { return nil }
        let n = ruleDatasets.count
        return "only datasets in state \(state)" + (step.then.map { "; each of the \(n) dataset\(n == 1 ? "" : "s") chosen moves to \($0) once all its files are removed" } ?? "")
    }

    /// What choosing `c` means: itself, or, for a member of a dataset (a minidvodb, a
    /// postage-stamp request), every live file of the dataset: all of them eligible, or
    /// none. nil when nothing may go. A file an earlier cleanup relies on as cover is not
    /// eligible, nor is its dataset.
    mutating func group(_ c: Candidate, eligible: (Candidate) -> Bool) throws -> (files: [Candidate], dataset: String?)? {
        guard !chosen.contains(c.id), !open.contains(c.id), eligible(c), pins.admits(c.id) else { return nil }
        if cover[c.id] != nil {
            keptAsCover.insert(c.id)
            return nil
        }
        guard let d = c.datasetId else { return ([c], nil) }
        if datasets[d] != nil { return nil }
        let members = try snapshot.members(dataset: d, scope: scope)
        let eligibleAll = members.allSatisfy { m in m.map { !chosen.contains($0.id) && !open.contains($0.id) && eligible($0) && !pins.pins($0.id) } ?? false }
        let covers = members.compactMap { $0?.id }.filter { cover[$0] != nil }
        if eligibleAll { keptAsCover.formUnion(covers) }
        let whole = eligibleAll && covers.isEmpty
        datasets[d] = whole
        guard whole else { return nil }
        let name = try snapshot.datasetName(d) ?? "#\(d)"
        return (members.compactMap { $0 }, name)
    }

    /// The current rule's note on the files it left because earlier rules rely on them as cover.
    func coverNote() -> String? {
        guard !keptAsCover.isEmpty else { return nil }
        let rules = Set(keptAsCover.compactMap { cover[$0] }).sorted().map { "'\($0)'" }.joined(separator: ", ")
        let n = keptAsCover.count
        return "\(n) file\(n == 1 ? "" : "s") kept (with any dataset \(n == 1 ? "it belongs" : "they belong") to): "
            + "cover for the purges of rule \(rules) in this plan"
    }

    /// A rule's note with what it left for cover and the future-dated files it set aside.
    mutating func note(_ base: String, streams: [Int64], agedOff: Bool) throws -> String {
        let future = try futureNote(streams, agedOff: agedOff)
        return [base, coverNote(), pins.note(), future].compactMap { $0 }.joined(separator: "; ")
    }

    // MARK: age-off

    mutating func ageOff(_ r: AgeOffRule, usage: [UInt64: (root: PathBytes, usage: FileSystemUsage)]) throws -> RuleOutcome {
        beginRule()
        let first = actions.count
        let streams = try streams(r.categories)
        let ids = Array(streams.keys).sorted()
        func outcome(_ note: String) throws -> RuleOutcome {
            let mine = actions[first...]
            endRule(r.name, r.datasets)
            return RuleOutcome(rule: r.name, kind: "age-off", files: mine.count, bytes: mine.reduce(0) { $0 + $1.bytes },
                               note: try self.note([note, stateNote(r.datasets)].compactMap { $0 }.joined(separator: "; "), streams: ids, agedOff: true))
        }
        if !r.requireCopyOn.isEmpty {
            return try outcome("requires a verified copy on \(r.requireCopyOn.joined(separator: ", ")); Tidemark records no copies yet "
                               + "(the copy queue comes later), so no file can be shown to have one and nothing may go")
        }
        let kept = try newest(streams.keys, keep: r.keepNewest)
        let endBy = r.olderThan.map { Instant(microseconds: now.microseconds - $0) }
        var scope: [String] = []
        if let f = r.from { scope.append("from \(f.iso8601)") }
        if let t = r.to { scope.append("ending by \(t.iso8601)") }
        if let age = r.olderThan { scope.append("ended over \(durationText(age)) ago") }
        let what = "oldest of \(r.categories.joined(separator: ", "))" + (scope.isEmpty ? "" : ", " + scope.joined(separator: ", "))
        let keepText = "the newest \(r.keepNewest == 1 ? "file" : "\(r.keepNewest) files") of each stream kept"
            + "; datasets go whole or not at all"
        // A future-dated file goes only when the rule's range names its time.
        let startBy = r.to == nil ? futureAfter : nil
        // The candidate query's test, for the other members of a dataset.
        let inState = inState(r.datasets.state)
        let eligible = { (m: Candidate) -> Bool in
            streams[m.streamId] != nil && !kept.contains(m.id) && inState(m)
                && (r.from.map { m.coverage.start >= $0 } ?? true)
                && (r.to.map { m.coverage.start < $0 && m.coverage.end <= $0 } ?? true)
                && (endBy.map { m.coverage.end <= $0 } ?? true)
                && (startBy.map { m.coverage.start <= $0 } ?? true)
        }
        /// Chooses `c` (with its dataset); returns the sizes chosen, with their devices.
        func take(_ c: Candidate, _ reason: String) throws -> [(device: UInt64, size: Int64)] {
            guard let g = try self.group(c, eligible: eligible) else { return [] }
            let why = g.dataset.map { reason + "; with the rest of dataset \($0) (\(g.files.count) files)" } ?? reason
            for m in g.files {
                try self.add(m, kind: .delete, stream: streams[m.streamId]!, rule: r.name, reason: why, keepNewest: r.keepNewest, dataset: g.dataset)
            }
            self.chose(dataset: c.datasetId, name: g.dataset, category: streams[c.streamId]!.category, files: g.files)
            return g.files.map { ($0.stat.device, $0.stat.size) }
        }

        switch r.target {
        case .all:
            try snapshot.candidates(streams: ids, CandidateFilter(scope: self.scope, from: r.from, to: r.to, endBy: endBy, startBy: startBy)) { c in
                _ = try take(c, what)
                return true
            }
            return try outcome("every file matching: \(what); \(keepText)")
        case .bytes(let goal):
            var total: Int64 = 0
            try snapshot.candidates(streams: ids, CandidateFilter(scope: self.scope, from: r.from, to: r.to, endBy: endBy, startBy: startBy)) { c in
                total += try take(c, "\(what), until \(bytesText(goal)) are chosen").reduce(0) { $0 + $1.size }
                return total < goal
            }
            return try outcome(total >= goal ? "\(what) until \(bytesText(goal)) are chosen; \(keepText)"
                                             : "\(what): only \(bytesText(total)) of the \(bytesText(goal)) asked for can go; \(keepText)")
        case .watermark(let high, let low):
            var need: [UInt64: Int64] = [:]
            var notes: [String] = []
            for (device, u) in usage.sorted(by: { $0.key < $1.key }) {
                let used = u.usage.fraction
                let at = "\(u.root.displayPath) is \(String(format: "%.1f", used * 100))% used"
                if used <= high {
                    notes.append("\(at), not above \(percentText(high)): nothing to do")
                    continue
                }
                let n = u.usage.bytesToFree(below: low) - (freed[device] ?? 0)
                if n > 0 {
                    need[device] = n
                    notes.append("\(at) (above \(percentText(high))): \(bytesText(n)) to free to fall below \(percentText(low))")
                } else {
                    notes.append("\(at): earlier rules already free enough to fall below \(percentText(low))")
                }
            }
            if !need.isEmpty {
                let reasons = Dictionary(uniqueKeysWithValues: need.keys.map { d in
                    (d, "\(what); \(usage[d]!.root.displayPath) above \(percentText(high)) used, freeing until below \(percentText(low))")
                })
                try snapshot.candidates(streams: ids, CandidateFilter(scope: self.scope, from: r.from, to: r.to, endBy: endBy, startBy: startBy)) { c in
                    guard let n = need[c.stat.device], n > 0 else { return true }
                    for (device, size) in try take(c, reasons[c.stat.device]!) {
                        if let u = usage[device] { need[device] = (need[device] ?? 0) - u.usage.freed(bySize: size) }
                    }
                    return need.values.contains { $0 > 0 }
                }
                for (d, n) in need where n > 0 {
                    notes.append("\(usage[d]!.root.displayPath): not enough to go; \(bytesText(n)) short of the low watermark")
                }
            }
            return try outcome(notes.joined(separator: "; ") + "; \(keepText)")
        }
    }

    // MARK: cleanup

    mutating func cleanup(_ r: CleanupRule) throws -> RuleOutcome {
        beginRule()
        let first = actions.count
        let streams = try streams(r.categories)
        let coverStreams = try self.streams(r.coveredBy)
        let kept = try newest(streams.keys, keep: r.keepNewest)
        // The cover: live files of the product categories whose coverage was read from the
        // data (a modification time proves nothing), merged per stream name.
        var index: [String: CoverIndex] = [:]
        try snapshot.candidates(streams: Array(coverStreams.keys).sorted(), CandidateFilter(scope: scope, excludeMtime: true)) { c in
            if !self.chosen.contains(c.id) && !self.open.contains(c.id) {
                index[r.sameStream ? coverStreams[c.streamId]!.name : "", default: CoverIndex()].add(c.coverage, id: c.id)
            }
            return true
        }
        for k in index.keys { index[k]!.prepare() }
        let endBy = Instant(microseconds: now.microseconds - r.olderThan)
        let coverNames = r.coveredBy.joined(separator: ", ")
        /// The files covering `m`, when they cover all of it.
        let covering = { (m: Candidate) -> [Int64]? in
            streams[m.streamId].flatMap { index[r.sameStream ? $0.name : ""]?.covering(m.coverage) }
        }
        // The candidate query's test and the cover, for the other members of a dataset too.
        let inState = inState(r.datasets.state)
        let eligible = { (m: Candidate) -> Bool in
            streams[m.streamId] != nil && !kept.contains(m.id) && inState(m) && !m.fromMtime && m.coverage.end <= endBy && covering(m) != nil
        }
        try snapshot.candidates(streams: Array(streams.keys).sorted(), CandidateFilter(scope: scope, endBy: endBy, excludeMtime: true)) { c in
            guard let g = try self.group(c, eligible: eligible) else { return true }
            for m in g.files {
                let stream = streams[m.streamId]!
                let ids = covering(m)!
                let reason = "covered by \(ids.count) live \(coverNames) file\(ids.count == 1 ? "" : "s")"
                    + (r.sameStream ? " of stream \(stream.name)" : "") + "; ended over \(durationText(r.olderThan)) ago"
                    + (g.dataset.map { "; with the rest of dataset \($0) (\(g.files.count) files, each covered)" } ?? "")
                try self.add(m, kind: .purge, stream: stream, rule: r.name, reason: reason, keepNewest: r.keepNewest,
                             dataset: g.dataset, coveredBy: ids)
                for id in ids where self.cover[id] == nil { self.cover[id] = r.name }
            }
            self.chose(dataset: c.datasetId, name: g.dataset, category: streams[c.streamId]!.category, files: g.files)
            return true
        }
        endRule(r.name, r.datasets)
        let mine = actions[first...]
        return RuleOutcome(rule: r.name, kind: "cleanup", files: mine.count, bytes: mine.reduce(0) { $0 + $1.bytes },
                           note: try note("files of \(r.categories.joined(separator: ", ")) whose whole coverage live \(coverNames) files"
                               + (r.sameStream ? " of the same stream" : "") + " cover, ended over \(durationText(r.olderThan)) ago; "
                               + "the newest \(r.keepNewest == 1 ? "file" : "\(r.keepNewest) files") of each stream kept"
                               + "; datasets go whole or not at all" + (stateNote(r.datasets).map { "; " + $0 } ?? ""),
                               streams: Array(streams.keys).sorted(), agedOff: false))
    }
}

/// The covering files of one stream, to answer "is [s, e) wholly covered, and by which files?".
struct CoverIndex {
    private var items: [(start: Int64, end: Int64, id: Int64)] = []
    private var merged: [(start: Int64, end: Int64)]?
    private var longest: Int64 = 0

    mutating func add(_ c: Coverage, id: Int64) {
        items.append((c.start.microseconds, c.end.microseconds, id))
        longest = max(longest, c.end.microseconds - c.start.microseconds)
        merged = nil
    }

    /// Sorts the files and merges their coverage; call once after the last `add`.
    mutating func prepare() {
        items.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var m: [(start: Int64, end: Int64)] = []
        for i in items {
            if let last = m.last, i.start <= last.end { m[m.count - 1].end = max(last.end, i.end) } else { m.append((i.start, i.end)) }
        }
        merged = m
    }

    /// The ids of the files that cover part of `c` when their union holds all of it; nil
    /// otherwise. Coverage is half-open: `[s, t)` does not hold the instant `t`; an instant
    /// is held by a file of that same instant, or by one that starts at or before it and
    /// ends after it. Every covering file is listed: each is checked again before a purge.
    func covering(_ c: Coverage) -> [Int64]? {
        guard let merged else { return nil }
        let s = c.start.microseconds, e = c.end.microseconds
        let instant = e == s
        // Items are sorted by start: those starting before e (at or before s for an instant).
        var k = 0, hiK = items.count
        while k < hiK { let mid = (k + hiK) / 2; if items[mid].start < max(e, s + 1) { k = mid + 1 } else { hiK = mid } }
        if !instant {
            // The last merged interval starting at or before s must reach e.
            var lo = 0, hi = merged.count
            while lo < hi { let mid = (lo + hi) / 2; if merged[mid].start <= s { lo = mid + 1 } else { hi = mid } }
            guard lo > 0, merged[lo - 1].end >= e else { return nil }
        }
        var ids: [Int64] = []
        for i in items[..<k].reversed() {
            if i.start < s - longest { break }  // nothing earlier can reach s
            let holds = instant ? (i.end > s || (i.start == s && i.end == s)) : (i.end > s && i.end > i.start)
            if holds { ids.append(i.id) }
        }
        return ids.isEmpty ? nil : ids.reversed()
    }
}

/// Shared by the planner and the executor's second check.
enum PolicyQueries {
    /// Where future-dated coverage begins: `tolerance` after `now`.
    static func futureAfter(_ now: Instant, tolerance: Int64) -> Instant {
        now.adding(microseconds: tolerance) ?? Instant(microseconds: .max)
    }
}
