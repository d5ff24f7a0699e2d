import ArgumentParser
import Foundation
import TidemarkCore

struct RevertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert",
        abstract: "Put faulted work back in its queue for another try (IPP revert).",
        subcommands: [RevertCopies.self, RevertDependents.self, RevertRequests.self])
}

struct RevertCopies: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copies",
        abstract: "Put faulted copies back to new: by default only the transient faults 2 (system) and 6 (timeout).",
        discussion: """
            Other fault codes (1 unknown, 3 configuration, 4 programming, 5 data) wait for a person: \
            name them with --fault once the cause is fixed. Each reverted copy keeps a message saying \
            when and from which fault it was reverted.
            Exit status: 0 reverted, 1 could not run, 3 nothing to revert, 64 bad command line.
            """)

    @Option(help: ArgumentHelp("Revert copies with this fault code (repeatable; default 2 and 6).", valueName: "CODE")) var fault: [Int] = []
    @Option(help: "Only this host's copies.") var host: String?
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        for f in fault where FaultCode(rawValue: f) == nil {
            throw ValidationError("--fault \(f): fault codes are 1 unknown, 2 system, 3 configuration, 4 programming, 5 data, 6 timeout")
        }
    }

    func run() throws {
        try exitReporting {
            let store = try catalog.openCopyStore(write: true)
            if let host, !(try runtime { try store.hosts() }).contains(where: { $0.host.name == host }) {
                throw Failure.usage("the catalog has no host '\(host)'; `tidemark host list` shows them")
            }
            let codes = fault.isEmpty ? Set(FaultCode.allCases.filter(\.isTransient)) : Set(fault.compactMap(FaultCode.init(rawValue:)))
            let reverted: [CopyRecord]
            do {
                reverted = try CopyRevert.revert(faults: codes, host: host, store: store, by: commandIdentity("revert copies"), at: currentInstant)
            } catch { throw Failure.runtime("\(error)") }
            if output.json { try Output.json(reverted.map(CopyListing.init)) } else {
                try Output.print("Reverted \(reverted.count) faulted copy(ies) to new (faults \(codes.map(\.rawValue).sorted().map(String.init).joined(separator: ", ")))."
                                 + (reverted.isEmpty ? "" : "\n" + Format.table(["ID", "DATASET", "HOST", "FAULT", "MESSAGE"], reverted.map {
                                     [String($0.id), $0.datasetName, $0.host, $0.fault.map { "\($0.rawValue) \($0.name)" } ?? "-",
                                      ($0.message ?? "").split(separator: "\n").last.map(String.init) ?? ""]
                                 }, rightAligned: [0])))
            }
            if reverted.isEmpty { throw ExitCode(3) }
        }
    }
}

/// `--fault N` (repeatable): the codes to revert; none named: every code below 10.
struct RequestFaultOptions: ParsableArguments {
    @Option(name: .customLong("fault"), help: "Only this fault code (repeatable; default: every code below 10).") var faults: [Int] = []

    var codes: Set<Int> { faults.isEmpty ? Set(1..<RequestFault.firstUserCode) : Set(faults) }

    /// What `revert dependents` and `revert requests` revert by default, and how they end.
    static let discussion = "Default: every fault code below 10 (the system's); the user's (10 and up) only named with --fault. "
        + "Exit status: 0 reverted, 1 could not run, 3 nothing to revert, 64 bad command line."

    func validate() throws {
        if let bad = faults.first(where: { $0 < 1 }) { throw ValidationError("--fault \(bad): fault codes are 1 and up") }
    }
}

struct RevertDependents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dependents", abstract: "Faulted dependents back to new, and the requests they faulted back to run.",
        discussion: RequestFaultOptions.discussion)

    @OptionGroup var faults: RequestFaultOptions
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try revert(catalog, output, "dependent", { try $0.revertDependents(faults: faults.codes, at: currentInstant, by: $1) },
                   json: DependentListing.init, table: DependentTable.dependents)
    }
}

struct RevertRequests: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests", abstract: "Faulted requests back to new (resolved again by the next run), with their faulted dependents.",
        discussion: RequestFaultOptions.discussion)

    @OptionGroup var faults: RequestFaultOptions
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try revert(catalog, output, "request", { try $0.revertRequests(faults: faults.codes, at: currentInstant, by: $1) },
                   json: { RequestListing($0) }, table: RequestTable.requests)
    }
}

/// Reverts `what`s through `change` (given the store and who acts), journaled, and prints those reverted.
private func revert<T, J: Encodable>(_ catalog: CatalogOptions, _ output: OutputOptions, _ what: String,
                                     _ change: (any RequestStore, String) throws -> [T], json: (T) -> J, table: ([T]) -> String) throws {
    try exitReporting {
        let store = try catalog.openRequestStore(write: true)
        let by = RequestSession.worker("revert \(what)s")
        var reverted: [T] = []
        // Journaled: the intent before, how many were put back after.
        try runtime {
            try ActionRunner(journal: store).run(ActionIntent(kind: .revert, subject: ActionSubject(), detail: "faulted \(what)s back", by: by)) { _ in
                reverted = try change(store, by)
                return .done("\(reverted.count) \(what)\(reverted.count == 1 ? "" : "s") reverted")
            }
        }
        let done = "\(reverted.count) \(what)\(reverted.count == 1 ? " was" : "s were") reverted in the catalog."
        if output.json { try Output.json(reverted.map(json), done: done) } else {
            try Output.print(reverted.isEmpty ? "Nothing to revert." : "Reverted:\n" + table(reverted), done: done)
        }
        if reverted.isEmpty { throw ExitCode(3) }
    }
}
