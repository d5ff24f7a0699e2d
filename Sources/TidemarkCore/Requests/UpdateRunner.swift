import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Advances requests and dependents (`request run`): resolves new requests, claims `new`
/// dependents (and those a dead run held), runs their categories' update commands through
/// the process runner, and marks each `full` only when its command exited 0 and its file is
/// back under its root with a coverage that overlaps what was needed; then moves requests
/// on and runs the job of each that became `full`.
///
/// Faults: the command could not start (3), exited non-zero or was killed (2), ran out of
/// time (6); the file absent, somewhere else, not a regular file, or with no readable or
/// no overlapping coverage (5); a dependent claimed `maxAttempts` times by runs that died
/// holding it (2).
public struct UpdateRunner: Sendable {
    public let store: any RequestStore & CatalogListing
    /// The definition of a context; nil when none is found.
    public let definition: @Sendable (String) -> ContextDefinition?
    /// Who claims: a name with this host and process, journaled with each change.
    public let worker: String
    /// At most this many update commands at once.
    public var jobs: Int
    /// A dependent claimed this many times without finishing faults instead of starting again.
    public var maxAttempts = 3
    public var resolver: CoverageResolver = .standard

    /// A runner over `store` for `worker`, with the definitions `definition` finds.
    public init(store: any RequestStore & CatalogListing, definition: @escaping @Sendable (String) -> ContextDefinition?, worker: String, jobs: Int) {
        self.store = store; self.definition = definition; self.worker = worker; self.jobs = max(1, jobs)
    }

    /// What one update did.
    public struct UpdateResult: Sendable {
        public var dependent: Int64
        public var path: PathBytes
        public var outcome: DependentOutcome
        /// The command's argv, and how it ended ("exit status 0"); nil when it did not run.
        public var argv: [String]?
        public var ended: String?
        public var seconds: Double
        /// The claim was lost meanwhile (another run took the dependent): nothing was recorded.
        public var lost: Bool
    }

    /// What a request's job did.
    public struct JobResult: Sendable {
        public var request: Int64
        public var argv: [String]
        public var ended: String
        public var succeeded: Bool
    }

    /// What a run did, pass after pass.
    public struct Report: Sendable {
        public var resolved: [RequestRecord] = []
        public var updates: [UpdateResult] = []
        public var settled: [RequestRecord] = []
        public var jobs: [JobResult] = []
    }

    /// Runs passes until one claims nothing (`once`: a single pass).
    public func run(once: Bool, now: @Sendable () -> Instant) throws(CatalogError) -> Report {
        var report = Report()
        repeat {
            let claimed = try pass(into: &report, now: now)
            if claimed == 0 || once { break }
        } while true
        return report
    }

    /// One pass; returns how many dependents it claimed.
    func pass(into report: inout Report, now: @Sendable () -> Instant) throws(CatalogError) -> Int {
        let resolver = RequestResolver(store: store) { [definition] c in Set(definition(c)?.requests.updates.keys ?? [:].keys) }
        report.resolved += try resolver.resolveNew(at: now(), by: worker)
        // The lease outlasts the longest command that may run (its timeout, the kill grace and
        // the check after it), so a live run never loses its claim and a dead run's is taken
        // up again soon after.
        let open = Set(try store.requests(RequestFilter(state: .run)).map(\.spec.context))
        let longest = open.compactMap { definition($0)?.requests.updates.values.map(\.timeout).max() }.max() ?? RequestSettings.defaultTimeout
        let lease = longest + max(5, min(longest, 60))
        let claims = try store.claimDependents(worker: worker, lease: Int64(lease * 1e6), limit: jobs, categories: nil)
        let results = runAll(claims, now: now)
        report.updates += results
        let grace = Dictionary(uniqueKeysWithValues: open.map {
            ($0, definition($0)?.requests.pinGrace ?? RequestSettings.defaultPinGrace)
        })
        let settled = try store.settleRequests(at: now(), grace: grace, defaultGrace: RequestSettings.defaultPinGrace, by: worker)
        report.settled += settled
        for r in settled where r.state == .full {
            if let job = try runJob(r) { report.jobs.append(job) }
        }
        return claims.count
    }

    /// Runs the claimed dependents' updates, at most `jobs` at once and at most each
    /// command's `jobs` of one category.
    private func runAll(_ claims: [DependentClaim], now: @Sendable () -> Instant) -> [UpdateResult] {
        guard !claims.isEmpty else { return [] }
        let results = Results(count: claims.count)
        var perCategory: [String: DispatchSemaphore] = [:]
        for c in claims {
            let cmd = definition(c.dependent.context)?.requests.updates[c.dependent.file.category]
            if perCategory[c.dependent.file.category] == nil { perCategory[c.dependent.file.category] = DispatchSemaphore(value: cmd?.jobs ?? 1) }
        }
        let gates = perCategory
        DispatchQueue.concurrentPerform(iterations: claims.count) { i in
            let claim = claims[i]
            let gate = gates[claim.dependent.file.category]!
            gate.wait()
            defer { gate.signal() }
            results.set(i, update(claim, now: now))
        }
        return results.all
    }

    /// One dependent's update, verified and recorded.
    private func update(_ claim: DependentClaim, now: @Sendable () -> Instant) -> UpdateResult {
        let d = claim.dependent
        var result = UpdateResult(dependent: d.id, path: d.file.path, outcome: .fault(FaultCode.unknown.rawValue, ""), argv: nil, ended: nil,
                                  seconds: 0, lost: false)
        func finish(_ outcome: DependentOutcome) -> UpdateResult {
            result.outcome = outcome
            do { result.lost = !(try store.finishDependent(claim, outcome, at: now(), by: worker)) } catch {
                result.lost = true
                result.outcome = .fault(FaultCode.system.rawValue, "could not record the outcome: \(error)")
            }
            return result
        }
        if claim.attempts > maxAttempts {
            return finish(.fault(FaultCode.system.rawValue, "claimed \(claim.attempts - 1) times by runs that ended without finishing it (killed?); revert it to try again"))
        }
        guard let def = definition(d.context) else {
            return finish(.fault(FaultCode.configuration.rawValue, "no definition found for context \(d.context)"))
        }
        guard let command = def.requests.updates[d.file.category] else {
            return finish(.fault(FaultCode.configuration.rawValue, "category \(d.file.category) of context \(d.context) has no update command"))
        }
        let argv = command.argv.expand([
            "path": String(decoding: d.file.path, as: UTF8.self), "root": String(decoding: d.file.root, as: UTF8.self),
            "stream": d.file.stream, "category": d.file.category,
            "start": d.need?.start.iso8601 ?? "", "end": d.need?.end.iso8601 ?? "",
        ])
        result.argv = argv
        let outcome: ProcessRunner.Outcome
        do { outcome = try ProcessRunner(timeout: command.timeout).run(argv) } catch {
            return finish(.fault(FaultCode.configuration.rawValue, "\(error)"))
        }
        result.ended = outcome.summary
        result.seconds = outcome.seconds
        let stderr = outcome.stderrTail.isEmpty ? "" : ": " + outcome.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
        if outcome.timedOut {
            return finish(.fault(FaultCode.timeout.rawValue, "\(argv[0]) ran out of its \(Self.seconds(command.timeout)) and was stopped (\(outcome.summary))\(stderr)"))
        }
        guard outcome.succeeded else { return finish(.fault(FaultCode.system.rawValue, "\(argv[0]) ended with \(outcome.summary)\(stderr)")) }
        return finish(verify(d, def, argv0: argv[0]))
    }

    /// Whether the file is back as needed: a regular file at its catalogued path, under a
    /// root the definition names, whose coverage (read again) overlaps what was needed.
    func verify(_ d: DependentRecord, _ def: ContextDefinition, argv0: String) -> DependentOutcome {
        let path = d.file.path
        let shown = path.displayPath
        guard def.roots.map(\.pathBytes).contains(d.file.root) else {
            return .fault(FaultCode.data.rawValue, "\(argv0) exited 0, but the root of \(shown) is no longer one the definition of \(d.context) names")
        }
        var st = stat()
        let rc = path.withUnsafeBufferPointer { b in
            (Array(b) + [0]).withUnsafeBufferPointer { lstat(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), &st) }
        }
        guard rc == 0 else {
            return .fault(FaultCode.data.rawValue, "\(argv0) exited 0, but \(shown) is not there (\(String(cString: strerror(errno)))): written elsewhere, or not at all")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            return .fault(FaultCode.data.rawValue, "\(argv0) exited 0, but \(shown) is not a regular file (a symbolic link or another kind of file)")
        }
        let entry = Inspector(definitions: [def], forced: false, resolver: resolver).inspect(path: path, stat: FileStat(st))
        guard let coverage = entry.coverage, entry.error == nil else {
            return .fault(FaultCode.data.rawValue, "\(argv0) exited 0, but \(shown) has no readable coverage: \(entry.error ?? "none found")")
        }
        if let need = d.need {
            let w = TimeWindow(begin: need.start, end: need.end)
            guard w.overlaps(start: coverage.start.microseconds, end: coverage.end.microseconds) else {
                return .fault(FaultCode.data.rawValue, "\(argv0) exited 0, but \(shown) covers \(coverage), not the needed \(need)")
            }
        }
        return .full("regenerated by \(argv0); covers \(coverage) (\(entry.source.rawValue))")
    }

    /// Runs a full request's job, if its context has one.
    private func runJob(_ r: RequestRecord) throws(CatalogError) -> JobResult? {
        guard let job = definition(r.spec.context)?.requests.job, let settings = definition(r.spec.context)?.requests else { return nil }
        let files = try store.requestFiles(r.id).map { String(decoding: $0.path, as: UTF8.self) }
        let argv = job.expand(["request": String(r.id), "label": r.spec.label ?? "", "context": r.spec.context], files: files)
        do {
            let o = try ProcessRunner(timeout: settings.jobTimeout).run(argv)
            return JobResult(request: r.id, argv: argv, ended: o.summary, succeeded: o.succeeded)
        } catch {
            return JobResult(request: r.id, argv: argv, ended: "\(error)", succeeded: false)
        }
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
}

/// Results written by concurrent updates, each to its own slot.
private final class Results: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var slots: [UpdateRunner.UpdateResult?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: UpdateRunner.UpdateResult) { lock.withLock { slots[i] = r } }
    var all: [UpdateRunner.UpdateResult] { lock.withLock { slots.compactMap { $0 } } }
}
