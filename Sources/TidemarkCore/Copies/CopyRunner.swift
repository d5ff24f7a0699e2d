import Foundation

/// Runs queued copies: claims them per row (never under the policy lock) on hosts that are up
/// with copies on, checks the destination's room again, runs rsync, verifies that nothing is
/// left to send (`LocalVerification` on this machine, else a dry run), and records each copy
/// `full` or `fault` with its IPP code. At most `jobs` rsyncs at once, at most `perHost` per host.
///
/// Several datasets claimed together for one host, root and destination go in one rsync;
/// should it fail, each is copied on its own, so every dataset's state stays exact. A runner
/// that dies leaves its copies in run; once their lease is out the next runner takes them up
/// and rsync (`--partial`) resumes. A copy is marked full only after its verification.
public struct CopyRunner: Sendable {
    /// How the runner works.
    public struct Options: Sendable {
        /// At most this many rsyncs at once.
        public var jobs = 2
        /// At most this many rsyncs to one host at once.
        public var perHost = 1
        /// Only this host's copies, when given.
        public var host: String?
        /// Seconds each rsync may run; nil for no limit.
        public var timeout: Double?
        /// Verify by checksum.
        public var checksum = false
        /// Microseconds a claim lasts without renewal (renewed while rsync runs).
        public var lease: Int64 = 300_000_000
        /// At most this many datasets claimed, and sent, together. Each rsync (and, to an ssh
        /// host, its verifying dry run) costs a start, a handshake and an exit of three processes: 2,000
        /// datasets of 10 small files went in 6.2 s with 64, 3.1 s with 250, 1.2–2.1 s with
        /// 1,000 (1.6–2.6 s with 500). Files past the argv budget go in more rsyncs anyway. A
        /// failed batch is sent again one dataset at a time, so a larger one costs more to recover.
        public var batch = 1000
        /// The destination's limits, checked again before each rsync.
        public var limits = CopyQueuer.Limits()
        /// The ssh configuration file for ssh hosts.
        public var sshConfig: String?
        /// The rsync program.
        public var rsync = "rsync"
        /// Arguments added to every rsync (e.g. `--bwlimit`).
        public var extraRsyncArguments: [String] = []
        /// Bytes of file paths one rsync's argv may hold; a group's files beyond it go in more
        /// rsyncs, and a dataset's beyond it in a list file (`RsyncFiles`).
        public var argumentBudget = RsyncFiles.argumentBudget
        /// The name claims carry (host and process).
        public var worker: String
        /// Called with the claims before each rsync starts (tests pause here).
        public var beforeRsync: (@Sendable ([CopyClaim]) -> Void)?

        /// Options with their defaults, claiming as `worker`.
        public init(worker: String) { self.worker = worker }
    }

    /// One copy as the run left it.
    public struct Result: Sendable {
        /// The claim it was run under.
        public var claim: CopyClaim
        /// How it ended.
        public var outcome: CopyOutcome
    }

    public let options: Options
    /// Opens a store for one worker thread (each has its own connection).
    public let open: @Sendable () throws -> any CopyStore & HostStore & ActionJournal

    /// A runner with `options`, each of its threads on a store `open` gives.
    public init(options: Options, open: @Sendable @escaping () throws -> any CopyStore & HostStore & ActionJournal) {
        self.options = options; self.open = open
    }

    /// One pass: runs every claimable copy of the eligible hosts, and returns how each ended.
    /// `report` hears of each as it ends (from the worker threads). Throws `CopyPaused` when
    /// running is paused.
    public func runOnce(report: @Sendable @escaping (Result) -> Void = { _ in }) throws -> [Result] {
        let store = try open()
        if try store.copySwitches().runPaused { throw CopyPaused(part: .run) }
        try Self.settle(store)
        let hosts = try store.hosts().filter { $0.state == .up && $0.enabled && (options.host == nil || $0.host.name == options.host) }
        guard !hosts.isEmpty else { return [] }
        let board = Board(hosts: hosts, perHost: max(1, options.perHost))
        let threads = (0..<max(1, min(options.jobs, hosts.count * max(1, options.perHost)))).map { _ in
            let t = Thread { [self] in self.work(board, report: report) }
            t.stackSize = 4 << 20
            return t
        }
        for t in threads { t.start() }
        board.waitForWorkers(threads.count)
        if let error = board.error { throw error }
        return board.results.sorted { $0.claim.id < $1.claim.id }
    }

    /// A worker thread: takes a host no other thread is full on, claims a batch of its copies,
    /// runs them, until no host has any left.
    private func work(_ board: Board, report: @Sendable (Result) -> Void) {
        defer { board.workerDone() }
        let store: any CopyStore & HostStore & ActionJournal
        do { store = try open() } catch { board.fail(error); return }
        while let host = board.takeHost() {
            var claims: [CopyClaim] = []
            do {
                if try store.copySwitches().runPaused { board.release(host, exhausted: true); board.stopAll(); return }
                claims = try store.claimCopies(host: host.host.name, worker: options.worker, lease: options.lease, limit: max(1, options.batch))
            } catch {
                board.release(host, exhausted: true)
                board.fail(error)
                return
            }
            if claims.isEmpty { board.release(host, exhausted: true); continue }
            let results: [Result]
            do { results = try HostCopies(runner: self, store: store, host: host).run(claims) } catch {
                board.release(host, exhausted: true)
                board.fail(error)
                return
            }
            for r in results { report(r) }
            board.record(results)
            board.release(host, exhausted: false)
        }
    }

    /// Closes the copy intents a dead runner left open: done when its copy is full, else not
    /// done (the copy is still claimed, or back in the queue, and is taken up after its lease).
    static func settle(_ store: any CopyStore & ActionJournal) throws {
        try ActionRunner(journal: store).settle { entry in
            guard entry.intent.kind == .copy, let id = entry.intent.subject.copy else { return nil }
            let copy = try store.copies(CopyFilter(datasets: entry.intent.subject.dataset.map { [$0] })).first { $0.id == id }
            if let copy, copy.state == .full, let epoch = copy.epoch, epoch >= entry.intended {
                return .done("the copy was recorded full before its runner died; found when the journal was settled")
            }
            return ActionOutcome(.notDone, "its runner died before the copy was recorded; the copy is taken up again after its lease")
        }
    }

    /// Which hosts have work and how many threads are on each, shared by the worker threads.
    private final class Board: @unchecked Sendable {  // guarded by `condition`
        let condition = NSCondition()
        var hosts: [HostRecord]
        var busy: [String: Int] = [:]
        var exhausted: Set<String> = []
        let perHost: Int
        var results: [Result] = []
        var error: (any Error)?
        var finished = 0
        var stopped = false

        init(hosts: [HostRecord], perHost: Int) { self.hosts = hosts; self.perHost = perHost }

        /// A host with work left and room for one more thread; nil once none has work left.
        func takeHost() -> HostRecord? {
            condition.lock()
            defer { condition.unlock() }
            while true {
                if stopped || error != nil { return nil }
                let open = hosts.filter { !exhausted.contains($0.host.name) }
                if open.isEmpty { return nil }
                if let h = open.min(by: { busy[$0.host.name, default: 0] < busy[$1.host.name, default: 0] }),
                   busy[h.host.name, default: 0] < perHost {
                    busy[h.host.name, default: 0] += 1
                    return h
                }
                condition.wait()
            }
        }

        func release(_ host: HostRecord, exhausted done: Bool) {
            condition.lock()
            busy[host.host.name, default: 1] -= 1
            if done { exhausted.insert(host.host.name) }
            condition.broadcast()
            condition.unlock()
        }

        func record(_ r: [Result]) { condition.lock(); results += r; condition.unlock() }
        func fail(_ e: any Error) { condition.lock(); if error == nil { error = e }; condition.broadcast(); condition.unlock() }
        func stopAll() { condition.lock(); stopped = true; condition.broadcast(); condition.unlock() }
        func workerDone() { condition.lock(); finished += 1; condition.broadcast(); condition.unlock() }

        func waitForWorkers(_ n: Int) {
            condition.lock()
            while finished < n { condition.wait() }
            condition.unlock()
        }
    }
}

/// A part of the copy queue that is paused (`copy pause queue|run`).
public struct CopyPaused: Error, Sendable, CustomStringConvertible {
    /// The part.
    public var part: CopyPart

    /// Paused `part`.
    public init(part: CopyPart) { self.part = part }

    public var description: String {
        "copy \(part.rawValue == "queue" ? "queuing" : "running") is paused in the catalog; `tidemark copy resume \(part.rawValue)` resumes it"
    }
}
