import TidemarkCore

/// What the status page shows, read from the catalog in one go (pure data: `StatusPage` draws it).
struct StatusReport: Sendable {
    struct Root: Sendable {
        var path: String
        /// The file system's use (0–1); nil with `problem` when it cannot be read.
        var used: Double?
        var usedBytes: Int64 = 0, availableBytes: Int64 = 0
        var problem: String?
        /// Age-off watermarks of the context's policies (fractions): the highest high, the lowest low.
        var high: Double?, low: Double?
    }

    struct Context: Sendable {
        var name: String
        var timeline: String
        var roots: [Root]
        var lastScan: ScanRecord?
        var lastRun: PolicyRunRecord?
    }

    /// A fault for a person: when, of what, its code, and what went wrong.
    struct Fault: Sendable {
        var at: Instant
        var what: String
        var code: String
        var message: String
    }

    /// Faults shown on the page.
    static let faultsShown = 5

    /// A count of items in one state (datasets of a category, a queue's items).
    struct Count: Sendable { var group: String; var state: String; var count: Int }

    var catalog: String
    var now: Instant
    var days: Int
    /// Where the timelines end when not now.
    var until: Instant?
    var contexts: [Context]
    var datasets: [Count]
    /// Copies by host and state, and faulted copies by code; empty: none.
    var queues: [Count]
    /// The latest faulted copies, newest first.
    /// The latest faults of every kind, newest first.
    var faults: [Fault]
    /// Parts that could not be read, said on the page instead of failing it.
    var problems: [String]

    /// Reads everything the page shows as of `c.now()`, its timelines the `days` up to `until` (default now).
    static func read(_ c: ServedCatalog, days: Int, until: Instant? = nil) throws -> StatusReport {
        let now = c.now()
        let store = c.store
        var problems: [String] = []
        let end = until ?? now
        let from = Instant(microseconds: end.microseconds - Int64(days) * 86_400_000_000)
        let watermarks = Self.watermarks(c.policies, now: now, problems: &problems)
        var contexts: [Context] = []
        for name in try store.contextNames() {
            var q = CoverageQuery(from: from, to: end)
            q.context = name
            let rows = try store.coverage(q)
            let title = "\(name): \(until == nil ? "the last " : "")\(days) day\(days == 1 ? "" : "s")\(until.map { " to \($0.iso8601)" } ?? "")"
            var picture = TimelineSVG(title: title, window: Span(from.microseconds, end.microseconds), rows: rows)
            picture.poolsNarrowSpans = true
            let timeline = picture.render()
            let marks = watermarks[name]
            let roots = try store.rootRecords(context: name).map { r -> Root in
                var root = Root(path: r.path.displayPath, high: marks?.high, low: marks?.low)
                do {
                    let u = try c.facts.usage(r.path)
                    (root.used, root.usedBytes, root.availableBytes) = (u.fraction, u.usedBytes, u.availableBytes)
                } catch { root.problem = "\(error)" }
                return root
            }
            contexts.append(Context(name: name, timeline: timeline, roots: roots, lastScan: try store.lastScans(context: name, limit: 1).first,
                                    lastRun: try store.policyRuns(context: name, limit: 1).first))
        }
        var datasets: [Count] = []
        let records = try store.datasets(DatasetFilter())
        do {
            let listing = DatasetListing.list(records, definitions: try DatasetListing.definitions(for: records, in: c.definitions), state: nil)
            datasets = Self.counts(listing.map { ("\($0.context) \($0.category)", $0.state ?? "(no states)") })
        } catch { problems.append("datasets: \(error.description)") }
        let copies = try store.copies(CopyFilter())
        var queues = Self.counts(copies.map { ("copies to \($0.host)", $0.state.rawValue) })
            + Self.counts(copies.compactMap { c in c.fault.map { ("copy faults", "\($0.rawValue) \($0.name)") } })
        let requests = try store.requests(RequestFilter()), dependents = try store.dependents(DependentFilter())
        queues += Self.counts(requests.map { ("requests", $0.state.rawValue) })
            + Self.counts(requests.compactMap { r in r.fault.map { ("request faults", "\($0) \(RequestFault.name($0))") } })
            + Self.counts(dependents.map { ("dependents", $0.state.rawValue) })
            + Self.counts(dependents.compactMap { d in d.fault.map { ("dependent faults", "\($0) \(RequestFault.name($0))") } })
        var faults = try Self.lastFaults(store, count: faultsShown).map {
            Fault(at: $0.intended, what: "policy run \($0.run), \($0.action): \($0.rule)", code: $0.result?.rawValue ?? "", message: $0.detail ?? "")
        }
        faults += copies.filter { $0.state == .fault }.map {
            Fault(at: $0.epoch ?? $0.queued, what: "copy \($0.id): \($0.datasetName) to \($0.host)",
                  code: "fault " + ($0.fault.map { "\($0.rawValue) \($0.name)" } ?? ""), message: $0.message ?? "")
        }
        faults += requests.filter { $0.state == .fault }.map {
            Fault(at: $0.changed, what: "request \($0.id)" + ($0.spec.label.map { " (\($0))" } ?? ""),
                  code: "fault " + ($0.fault.map { "\($0) \(RequestFault.name($0))" } ?? ""), message: $0.message ?? "")
        }
        faults += dependents.filter { $0.state == .fault }.map {
            Fault(at: $0.changed, what: "dependent \($0.id): \($0.file.path.displayPath)",
                  code: "fault " + ($0.fault.map { "\($0) \(RequestFault.name($0))" } ?? ""), message: $0.message ?? "")
        }
        faults.sort { $0.at > $1.at }
        return StatusReport(catalog: store.path, now: now, days: days, until: until, contexts: contexts, datasets: datasets, queues: queues,
                            faults: Array(faults.prefix(faultsShown)),
                            problems: problems)
    }

    /// Counts of (group, state) pairs, in order of first appearance.
    static func counts(_ pairs: [(String, String)]) -> [Count] {
        var out: [Count] = []
        for (g, s) in pairs {
            if let i = out.firstIndex(where: { $0.group == g && $0.state == s }) { out[i].count += 1 } else { out.append(Count(group: g, state: s, count: 1)) }
        }
        return out
    }

    /// Per context, the watermarks of its policies' age-off rules (the highest high and the lowest low).
    static func watermarks(_ library: PolicyLibrary, now: Instant, problems: inout [String]) -> [String: (high: Double, low: Double)] {
        var out: [String: (high: Double, low: Double)] = [:]
        for name in library.policyNames() {
            let policy: Policy?
            do { policy = try library.policy(named: name, now: now) } catch { problems.append("policy \(name): \(error.description)"); continue }
            guard let policy else { continue }
            for case .ageOff(let rule) in policy.rules {
                guard case .watermark(let high, let low) = rule.target else { continue }
                let old = out[policy.context]
                out[policy.context] = (max(old?.high ?? 0, high), min(old?.low ?? 1, low))
            }
        }
        return out
    }

    /// The newest journal entries that were skipped or failed, newest first. The store reads
    /// the journal forward from an entry id, so the last id is found by bisection (a few
    /// indexed reads) and only the tail is read.
    static func lastFaults(_ store: any QueryStore, count: Int, tail: Int64 = 2000) throws -> [JournalRecord] {
        func after(_ id: Int64) throws -> Bool { try !store.journal(since: id, limit: 1).isEmpty }
        guard try after(0) else { return [] }
        var lo: Int64 = 0, hi: Int64 = 1  // an entry after lo; none after hi, once found
        while try after(hi) { lo = hi; hi *= 2 }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if try after(mid) { lo = mid } else { hi = mid }
        }
        return try store.journal(since: max(0, hi - tail), limit: Int(tail))
            .filter { $0.result == .failed || $0.result == .skipped }.suffix(count).reversed()
    }
}
