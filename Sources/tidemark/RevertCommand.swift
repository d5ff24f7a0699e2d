import ArgumentParser
import TidemarkCore

struct RevertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert",
        abstract: "Put faulted dependents or requests back, to be tried again by the next `request run`.",
        discussion: """
            By default only the system's faults (codes below 10: 2 system or NFS, 3 configuration, \
            5 data, 6 timeout, …); the user's (10 and up: a file that cannot come back, an empty \
            window, a malformed request) only when named with --fault. Every revert is journaled.
            """,
        subcommands: [RevertDependents.self, RevertRequests.self])
}

/// `--fault N` (repeatable): the codes to revert; none named: every code below 10.
struct FaultOptions: ParsableArguments {
    @Option(name: .customLong("fault"), help: "Only this fault code (repeatable; default: every code below 10).") var faults: [Int] = []

    var codes: Set<Int> { faults.isEmpty ? Set(1..<RequestFault.firstUserCode) : Set(faults) }

    func validate() throws {
        if let bad = faults.first(where: { $0 < 1 }) { throw ValidationError("--fault \(bad): fault codes are 1 and up") }
    }
}

struct RevertDependents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dependents", abstract: "Faulted dependents back to new, and the requests they faulted back to run.",
        discussion: "Exit status: 0 reverted (or nothing to revert), 1 could not run, 64 bad command line.")

    @OptionGroup var faults: FaultOptions
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try revert(catalog, output, "dependent", { try $0.revertDependents(faults: faults.codes, at: currentInstant, by: $1) },
                   json: DependentJSON.init, table: DependentTable.dependents)
    }
}

struct RevertRequests: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests", abstract: "Faulted requests back to new (resolved again by the next run), with their faulted dependents.",
        discussion: "Exit status: 0 reverted (or nothing to revert), 1 could not run, 64 bad command line.")

    @OptionGroup var faults: FaultOptions
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try revert(catalog, output, "request", { try $0.revertRequests(faults: faults.codes, at: currentInstant, by: $1) },
                   json: { RequestJSON($0) }, table: RequestTable.requests)
    }
}

/// Reverts `what`s through `change` (given the store and who acts), journaled, and prints those reverted.
private func revert<T, J: Encodable>(_ catalog: CatalogOptions, _ output: OutputOptions, _ what: String,
                                     _ change: (any RequestStore, String) throws -> [T], json: (T) -> J, table: ([T]) -> String) throws {
    try exitReporting {
        let store = try catalog.openRequestStore(write: true)
        let reverted = try runtime { try change(store, RequestSession.worker("revert \(what)s")) }
        let done = "\(reverted.count) \(what)\(reverted.count == 1 ? " was" : "s were") reverted in the catalog."
        if output.json { try Output.json(reverted.map(json), done: done); return }
        try Output.print(reverted.isEmpty ? "Nothing to revert." : "Reverted:\n" + table(reverted), done: done)
    }
}
