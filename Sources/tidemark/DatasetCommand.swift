import ArgumentParser
import Foundation
import TidemarkCore
import TidemarkPostgres

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "List datasets with their states; move one to another state; show its history.",
        discussion: """
            A context definition may declare the states of a category's datasets ([[dataset_states]]: \
            the states, the initial one, the allowed transitions). A dataset is in the initial state \
            until it is first moved; every move is journaled (when, from, to, by what).
            """,
        subcommands: [DatasetList.self, DatasetSetState.self, DatasetHistory.self])
}

struct DatasetList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Datasets with their context, category, stream, state (and since when), files, bytes and coverage.",
        discussion: "Exit status: 0 listed, 1 could not run (no catalog), 2 a definition cannot be read, 64 bad command line.")

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only this context.") var context: String?
    @Option(name: [.customLong("category"), .customLong("categories")], help: "Only this category (repeatable).")
    var categories: [String] = []
    @Option(help: "Only datasets in this state.") var state: String?

    func run() throws {
        try exitReporting {
            let store = try catalog.openDatasetStore(write: false)
            let records = try runtime { try store.datasets(DatasetFilter(context: context, categories: categories)) }
            let machines = try catalog.definitions(for: records)
            let rows = DatasetListing.list(records, definitions: machines, state: state)
            if output.json {
                try Output.json(rows)
                return
            }
            try Output.print(Format.table(
                ["CONTEXT", "DATASET", "CATEGORY", "STREAM", "STATE", "SINCE", "FILES", "BYTES", "START", "END"],
                rows.map { d in
                    [d.context, d.dataset, d.category, d.stream ?? "-", d.state ?? "-", Format.time(d.stateSince),
                     Format.count(d.files), Format.bytes(d.bytes), Format.time(d.start), Format.time(d.end)]
                }, rightAligned: [6, 7]))
        }
    }
}

struct DatasetSetState: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-state",
        abstract: "Move a dataset to another state, along a transition its category's definition allows.",
        discussion: """
            With --from, the move is made only if the dataset is still in that state (compare and set, \
            for scripts): of two moves at once, one wins and the other is refused. Every move is journaled.

            Exit status: 0 moved, 1 could not run (no catalog), 2 refused (no states declared, an \
            unknown state, a transition not allowed, --from no longer holds: the allowed transitions \
            are named) or a definition cannot be read, 64 bad command line (no such dataset).
            """)

    @Argument(help: "The dataset, by name (as `dataset list` shows it).") var dataset: String
    @Argument(help: "The state to move it to.") var state: String
    @Option(help: "The dataset's context, when datasets of several contexts have that name.") var context: String?
    @Option(help: "Move only if the dataset is in this state now.") var from: String?
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let store = try catalog.openDatasetStore(write: true)
            let d = try catalog.dataset(named: dataset, context: context, in: store)
            let machine = try catalog.definition(for: d.context).stateMachine(for: d.category)
            TestHooks.barrier()
            let moved: DatasetTransition
            do {
                moved = try DatasetStates.move(d, to: state, from: from, machine: machine, store: store, by: commandIdentity("dataset set-state"),
                                               at: currentInstant)
            } catch let error as DatasetStateError {
                if case .catalog(let e) = error { throw Failure.runtime(e.description) }
                throw Failure.configuration(error.description)
            }
            let done = "Dataset \(d.name) of \(d.context) was moved from \(moved.from) to \(moved.to) in the catalog."
            if output.json {
                try Output.json(TransitionJSON(moved, d), done: done)
            } else {
                try Output.print("\(d.name) (\(d.context)): \(moved.from) → \(moved.to) at \(moved.at.iso8601)", done: done)
            }
        }
    }
}

struct DatasetHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "A dataset's moves from state to state: when, from, to, and by what.",
        discussion: "Exit status: 0 shown, 1 could not run (no catalog), 2 a definition cannot be read, 64 bad command line (no such dataset).")

    @Argument(help: "The dataset, by name.") var dataset: String
    @Option(help: "The dataset's context, when datasets of several contexts have that name.") var context: String?
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let store = try catalog.openDatasetStore(write: false)
            let d = try catalog.dataset(named: dataset, context: context, in: store)
            let moves = try runtime { try store.transitions(dataset: d.id) }
            if output.json {
                try Output.json(moves.map { TransitionJSON($0, d) })
                return
            }
            let machine = try catalog.definitions(for: [d])[d.context]?.stateMachine(for: d.category)
            let now = DatasetStates.state(of: d, machine: machine) ?? "(no states declared)"
            try Output.print("\(d.name) (\(d.context), \(d.category)): \(now) since \(Format.time(d.stateSince))")
            if moves.isEmpty {
                try Output.print("It has not moved since it was first catalogued.")
                return
            }
            try Output.print(Format.table(["AT", "FROM", "TO", "BY"], moves.map { [Format.time($0.at), $0.from, $0.to, $0.by] }))
        }
    }
}

private struct TransitionJSON: Encodable {
    let dataset: String, context: String, at: String, from: String, to: String, by: String

    init(_ t: DatasetTransition, _ d: DatasetRecord) {
        dataset = d.name; context = d.context; at = t.at.iso8601; from = t.from; to = t.to; by = t.by
    }
}

extension CatalogOptions {
    /// The one dataset of that name (in `context` when given); a usage error naming the
    /// contexts when there is none or several.
    func dataset(named name: String, context: String?, in store: any DatasetStore) throws -> DatasetRecord {
        let found = try runtime { try store.datasets(DatasetFilter(context: context, name: name)) }
        if found.count == 1 { return found[0] }
        if found.isEmpty {
            throw Failure.usage("the catalog has no dataset '\(name)'\(context.map { " in context '\($0)'" } ?? ""); `tidemark dataset list` shows them")
        }
        throw Failure.usage("datasets named '\(name)' are in several contexts (\(found.map(\.context).joined(separator: ", "))); name one with --context")
    }

    /// The definitions of the contexts of `records` that have one (a definition that cannot
    /// be read is a configuration error), by context name.
    func definitions(for records: [DatasetRecord]) throws -> [String: ContextDefinition] {
        do { return try DatasetListing.definitions(for: records, in: library) } catch { throw Failure.configuration(error.description) }
    }
}

/// What the journal says moved a dataset or changed a host: the command, the user, the host
/// and the process.
func commandIdentity(_ command: String) -> String {
    let user = ProcessInfo.processInfo.environment["USER"] ?? getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(getuid())"
    return "\(command) by \(user)@\(ProcessInfo.processInfo.hostName) (pid \(getpid()))"
}
