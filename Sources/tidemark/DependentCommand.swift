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
            if output.json { try Output.json(dependents.map(DependentJSON.init)); return }
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

/// A dependent as `--json` prints it.
struct DependentJSON: EncodesNulls {
    let id: Int64, path: String, path_bytes: String?, context: String, category: String, stream: String, start: String?, end: String?
    let state: String, fault: Int?, fault_name: String?, requests: [Int64], message: String?, file_state: String, claimer: String?
    let attempts: Int, created: String, changed: String

    init(_ d: DependentRecord) {
        id = d.id; path = d.file.path.displayPath; path_bytes = d.file.path.isPlainText ? nil : d.file.path.hexBytes; context = d.context
        category = d.file.category; stream = d.file.stream; start = d.need?.start.iso8601; end = d.need?.end.iso8601
        state = d.state.rawValue; fault = d.fault; fault_name = d.fault.map(RequestFault.name); requests = d.requests; message = d.message
        file_state = d.file.state.name; claimer = d.claimer; attempts = d.attempts; created = d.created.iso8601; changed = d.changed.iso8601
    }

    func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}
