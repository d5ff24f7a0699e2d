import ArgumentParser
import TidemarkCore

struct DependentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dependent",
        abstract: "Dependents: the purged files requests need, each regenerated once by its category's update command.",
        subcommands: [DependentList.self])
}

struct DependentList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Every dependent: its file, state, fault and the requests that need it.",
        discussion: "Exit status: 0 listed, 1 could not run (no catalog), 64 bad command line.")

    @Option(help: "Only dependents in this state: new, run, full or fault.") var state: RequestState?
    @Option(help: "Only those this request needs.") var request: Int64?
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let store = try catalog.openRequestStore(write: false)
            let dependents = try runtime { try store.dependents(DependentFilter(state: state, request: request)) }
            if output.json { try Output.json(dependents.map(DependentListing.init)); return }
            try Output.print(DependentTable.dependents(dependents))
        }
    }
}

/// The dependents' table people read.
enum DependentTable {
    static func dependents(_ ds: [DependentRecord]) -> String {
        Format.table(["ID", "STATE", "FAULT", "PATH", "CATEGORY", "STREAM", "START", "END", "REQUESTS", "ATTEMPTS", "MESSAGE"], ds.map { d in
            [String(d.id), d.state.rawValue, d.fault.map { "\($0) \(RequestFault.name($0))" } ?? "-", d.file.path.displayPath, d.file.category,
             d.file.stream, Format.time(d.need?.start), Format.time(d.need?.end), d.requests.map(String.init).joined(separator: ","),
             String(d.attempts), d.message ?? ""]
        }, rightAligned: [0, 9])
    }
}

