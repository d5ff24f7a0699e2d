import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How one action ended, as its result records it.
public struct ActionOutcome: Sendable, Hashable {
    /// `done`, `skipped` (refused at the last check, nothing changed) or `failed`; settling
    /// adds `not-done` (the writer died before acting).
    public var result: JournalResult
    /// What happened, for people.
    public var detail: String?

    /// An outcome.
    public init(_ result: JournalResult, _ detail: String? = nil) { self.result = result; self.detail = detail }

    /// Done.
    public static func done(_ detail: String? = nil) -> ActionOutcome { ActionOutcome(.done, detail) }
    /// Refused at the last check; nothing changed.
    public static func skipped(_ detail: String) -> ActionOutcome { ActionOutcome(.skipped, detail) }
    /// Tried, and failed.
    public static func failed(_ detail: String) -> ActionOutcome { ActionOutcome(.failed, detail) }
}

/// The one journaled path of every action that is not a policy run's batch of removals:
/// `intent → act → result`. The intent is committed before the act and the result after; an
/// act that throws is journaled `failed` (and its error passed on). A process killed between
/// the two leaves the intent open, and `settle` closes it once the writer is gone.
///
/// It takes no lock: each act is serialized on its subject by its own means (a dataset's
/// compare-and-set, a copy's claim), so copies and updates run beside a deletion run.
public struct ActionRunner: Sendable {
    /// Where intents and results are written.
    public let journal: any ActionJournal
    /// The clock for intents and results.
    public let clock: @Sendable () -> Instant

    /// A runner writing to `journal`.
    public init(journal: any ActionJournal, clock: @escaping @Sendable () -> Instant = { Instant(secondsSince1970: Date().timeIntervalSince1970) }) {
        self.journal = journal
        self.clock = clock
    }

    /// Commits `intent`, runs `act` with the entry's id (so what it records can name its
    /// entry), commits the outcome it returns. A thrown error is journaled `failed` and
    /// rethrown; when the intent cannot be written, `act` is not run.
    @discardableResult
    public func run(_ intent: ActionIntent, _ act: (Int64) throws -> ActionOutcome) throws -> ActionOutcome {
        let id = try journal.writeIntent(intent, at: clock())
        let outcome: ActionOutcome
        do {
            outcome = try act(id)
        } catch {
            try journal.writeResult(id, .failed, detail: Self.describe(error), at: clock(), onlyIfOpen: false)
            throw error
        }
        try journal.writeResult(id, outcome.result, detail: outcome.detail, at: clock(), onlyIfOpen: false)
        return outcome
    }

    /// Closes the open intents whose writer is gone — its policy run is among `killedRuns`,
    /// or its process on this host no longer exists — with what `decide` finds (nil: left
    /// open, e.g. a kind this caller does not know). An intent of a live writer, or of
    /// another host outside `killedRuns`, is left to its writer. Returns what was closed.
    @discardableResult
    public func settle(killedRuns: Set<Int64> = [], decide: (ActionEntry) throws -> ActionOutcome?) throws -> [(ActionEntry, ActionOutcome)] {
        var closed: [(ActionEntry, ActionOutcome)] = []
        for entry in try journal.openActions() where Self.writerIsGone(entry, killedRuns: killedRuns) {
            guard let outcome = try decide(entry) else { continue }
            if try journal.writeResult(entry.id, outcome.result, detail: outcome.detail, at: clock(), onlyIfOpen: true) {
                closed.append((entry, outcome))
            }
        }
        return closed
    }

    /// The writer of `entry` can no longer act on it.
    static func writerIsGone(_ entry: ActionEntry, killedRuns: Set<Int64>) -> Bool {
        if let run = entry.intent.run, killedRuns.contains(run) { return true }
        guard let pid = entry.pid, entry.host == LockHolder.hostName else { return false }
        if pid == Int64(getpid()) { return false }
        return kill(pid_t(pid), 0) != 0 && errno == ESRCH
    }

    /// The decision for a state action left open: done when the move it intended is in the
    /// dataset's history (written in the move's own transaction, naming this entry), else
    /// not done. Other kinds: nil.
    public static func stateDecision(_ datasets: any DatasetStore) -> (ActionEntry) throws -> ActionOutcome? {
        { entry in
            guard entry.intent.kind == .state, let d = entry.intent.subject.dataset else { return nil }
            if let t = try datasets.transitions(dataset: d).first(where: { $0.journal == entry.id }) {
                return .done("the move to \(t.to) was made before its writer died; found in the dataset's history when the journal was settled")
            }
            return ActionOutcome(.notDone, "its writer died before moving the dataset; nothing was changed")
        }
    }

    static func describe(_ error: any Error) -> String {
        (error as? CustomStringConvertible)?.description ?? "\(error)"
    }
}
