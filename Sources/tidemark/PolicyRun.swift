import ArgumentParser
import Foundation
import TidemarkCore
import TidemarkPostgres
#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses of `delete` and `policy`, documented in their help: each command lists
/// only those it can give.
enum PolicyExit {
    /// `delete` and `policy run`, which execute with --yes.
    static let help = """
        Exit status: 0 done (or, without --yes, a plan was printed), 1 could not run (catalog \
        unavailable) or a current root is unavailable (not the directory catalogued: an unmounted \
        disk, a moved tree; nothing under it is planned, removed or settled), 2 configuration \
        error (bad policy, unknown context or category: nothing was done), 3 nothing to do (the plan is empty), 4 done with faults (some files \
        were skipped for safety or could not be removed; they are listed), 5 refused: another \
        policy run holds the catalog, or a scan of the context is running (nothing was done), \
        64 bad command line.
        """
    /// `policy plan`, which only plans.
    static let planHelp = """
        Exit status: 0 a plan was printed, 1 could not run (catalog or root unavailable), \
        2 configuration error (bad policy, unknown context or category), 3 nothing to do (the \
        plan is empty), 64 bad command line.
        """
    static let nothingToDo: Int32 = 3
    static let faults: Int32 = 4
    static let locked: Int32 = 5
}

/// `--yes`, `--json` and the hidden test knobs shared by `delete` and `policy run`.
struct ExecuteFlags: ParsableArguments {
    @Flag(help: "Carry the plan out. Without it the plan is printed and nothing changes, the catalog included.")
    var yes = false

    @Option(help: .hidden) var batchSize = 1000

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }
}

/// What `delete`, `policy` and `root forget` need of a catalog, on either store: a planning
/// snapshot, the journal and the run locks.
typealias PolicyStore = PlanningStore & JournalStore & RunLocking

/// Plans, and with `--yes` executes under the lock and the journal; prints either.
struct PolicyRunner {
    let policy: Policy
    let catalog: CatalogOptions
    let json: Bool
    /// `--yes`: carry the plan out.
    let execute: Bool
    var batchSize = 1000

    func run() throws {
        let now = Instant(secondsSince1970: Date().timeIntervalSince1970)
        // Read-only first: a bad policy is refused, and a dry run done, without writing a
        // byte of the catalog (opening it for writing alone would).
        let reader = try open(readOnly: true)
        try guarded { _ = try reader.validate(policy) }
        // Deletion acts only under the context's current roots: those its definition names now…
        let definitionRoots = try catalog.definitionRoots(for: [policy.context])[policy.context]
        // Rules that select datasets by state are checked against the definition's state machines.
        let machines = policy.usesDatasetStates ? try catalog.definition(for: policy.context).stateMachines : []
        guard execute else {
            let plan = try guarded {
                try PolicyPlanner(catalog: reader, definitionRoots: definitionRoots, stateMachines: machines).plan(policy, now: now)
            }
            let output = PlanOutput(plan: plan, catalog: reader.path)
            try output.print(json: json)
            try output.failIfRootsUnavailable()
            if plan.isEmpty { throw ExitCode(PolicyExit.nothingToDo) }
            return
        }
        let store = try open(readOnly: false)
        let planner = PolicyPlanner(catalog: store, definitionRoots: definitionRoots, stateMachines: machines)
        let lock = try guarded {
            try PolicyLock(catalog: store, context: policy.context, holder: policy.name == "delete" ? "delete" : "policy run \(policy.name)")
        }
        let executor = PolicyExecutor(catalog: store)
        // Killed runs of any context are settled, each under its own current roots.
        let everyDefinition = try catalog.definitionRoots(for: try guarded { try store.contextNames() })
        let settled = try guarded { try executor.settle(lock: lock, definitionRoots: everyDefinition) }
        let plan = try guarded { try planner.plan(policy, now: now) }
        var output = PlanOutput(plan: plan, catalog: store.path)
        output.settled = settled
        if plan.isEmpty {
            try output.print(json: json)
            try output.failIfRootsUnavailable()
            throw ExitCode(PolicyExit.nothingToDo)
        }
        var options = ExecutionOptions()
        options.batchSize = batchSize
        // Crash tests: SIGKILL after the n-th removal, with intents written and results not.
        if let n = ProcessInfo.processInfo.environment["TIDEMARK_TEST_KILL_AFTER_REMOVALS"].flatMap(Int.init) {
            options.afterRemoval = { if $0 == n { kill(getpid(), SIGKILL) } }
        }
        // Crash tests: SIGKILL with a dataset action's intent written and its act not done.
        if ProcessInfo.processInfo.environment["TIDEMARK_TEST_KILL_AT_DATASET_ACTION"] != nil {
            options.afterDatasetIntent = { _ in kill(getpid(), SIGKILL) }
        }
        if let n = ProcessInfo.processInfo.environment["TIDEMARK_TEST_FILL_DISK_AFTER_REMOVALS"].flatMap(Int.init) {
            let path = store.path
            options.afterRemoval = { if $0 == n { TestHooks.fillDisk(beside: path) } }
        }
        // Intents are committed before each removal: a run stopped part-way loses nothing,
        // it leaves them open (PolicyError.interrupted says how far it got).
        output.report = try guarded { try executor.execute(plan, lock: lock, options: options) }
        try output.print(json: json)
        try output.failIfRootsUnavailable()
        if output.report!.hasFaults { throw ExitCode(PolicyExit.faults) }
    }

    private func open(readOnly: Bool) throws -> any PolicyStore { try catalog.openPolicyStore(readOnly: readOnly) }

    /// Maps policy and catalog errors to the documented failures.
    private func guarded<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as CatalogError {
            throw Failure.runtime(error.description)
        } catch let error as PolicyError {
            switch error {
            case .configuration: throw Failure.configuration(error.description)
            case .locked:
                Terminal.error(error.description)
                throw ExitCode(PolicyExit.locked)
            case .interrupted(let run, let removed, let bytes, let cause):
                throw Failure.runtime("\(cause)\nRun #\(run) stopped part-way "
                                      + (removed == 0 ? "before it removed any file" : "after it had removed \(Format.count(removed)) file\(removed == 1 ? "" : "s") (\(Format.bytes(bytes)))")
                                      + ". Nothing is lost: the next `--yes` run settles its journal first (checks each file on disk and records what was removed).")
            default: throw Failure.runtime(error.description)
            }
        }
    }
}
