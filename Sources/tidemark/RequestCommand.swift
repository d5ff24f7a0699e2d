import ArgumentParser
import Foundation
import TidemarkCore

struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Requests for the files of a time window: add one (or a Pan-STARRS request file), list, show, run.",
        discussion: """
            A request needs every catalogued file of its categories (and stream) whose coverage \
            overlaps its window. Live files are ready; a purged file of a category with an update \
            command gets a dependent, shared by every request that needs it, which `request run` \
            regenerates; a file that cannot come back (deleted, missing, or purged with no update \
            command) faults the request with code 10. Requests go new → run → full, or fault.

            Fault codes: 2 the update command failed or runs died holding it, 3 no update command \
            or it cannot start, 5 the file is not back as needed (absent, elsewhere, not a regular \
            file, no readable or overlapping coverage), 6 the command ran out of time; the user's: \
            10 a file cannot come back, 11 no catalogued file in the window, 12 a malformed request \
            (unknown context or category, a window that ends before it begins, a bad row).
            """,
        subcommands: [RequestAdd.self, RequestList.self, RequestShow.self, RequestRun.self])
}

struct RequestAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a request and resolve it against the catalog.",
        discussion: """
            Either --category and --covers, or --from-fits FILE: a Pan-STARRS postage-stamp request \
            file (binary table PS1_PSTAMP_REQUEST), one request per row — IMG_TYPE the category, \
            MJD_MIN/MJD_MAX the window (UTC MJD; 0 or null: open), COMPONENT the stream (null: any); \
            the other columns are kept with the request. A bad row faults its own request (12).

            Exit status: 0 added, 1 could not run (no catalog; a file that is not a request table), \
            2 a bad context definition, 4 added, but a request faulted, 64 bad command line.

            Examples:
              tidemark request add --context ipp/ps1 --category warp --covers 2026-11-30T00,2026-11-30T01 --label M31
              tidemark request add --context ipp/ps1 --from-fits request.fits --json
            """)

    @Option(help: "The context whose files the request selects.") var context: String
    @Option(name: [.customLong("category"), .customLong("categories")], help: "A category of the files (repeatable).")
    var categories: [String] = []
    @Option(help: "Only this stream.") var stream: String?
    @Option(help: ArgumentHelp("The window, BEGIN,END (either end may be open).", valueName: "BEGIN,END")) var covers: String?
    @Option(help: "A name for the request.") var label: String?
    @Option(help: "Higher runs first (default 0).") var priority: Int = 0
    @Option(name: .customLong("from-fits"), help: ArgumentHelp("A PS1_PSTAMP_REQUEST file: one request per row.", valueName: "FILE"))
    var fromFITS: String?
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if fromFITS != nil {
            if !categories.isEmpty || covers != nil || stream != nil {
                throw ValidationError("--from-fits takes the categories, windows and streams from the file: leave out --category, --covers and --stream")
            }
        } else {
            if categories.isEmpty { throw ValidationError("name the files' category with --category (e.g. --category warp), or give --from-fits FILE") }
            if covers == nil { throw ValidationError("give the window with --covers BEGIN,END (either end may be open)") }
        }
    }

    func run() throws {
        try exitReporting {
            let now = currentInstant
            var specs: [(spec: RequestSpec, malformed: String?)] = []
            if let fromFITS {
                let path = absolutePath(fromFITS)
                let file: PostageStampRequestFile
                do { file = try PostageStampRequestFile(path: path) } catch { throw Failure.runtime("\(error)") }
                for row in file.rows {
                    let label = label ?? "\(file.name)#\(row.number)"
                    switch row.selection {
                    case .success(let s):
                        specs.append((RequestSpec(context: context, categories: [s.category], stream: s.stream, window: s.window, label: label,
                                                  priority: priority, source: file.source(path: path, row: row)), nil))
                    case .failure(let bad):
                        specs.append((RequestSpec(context: context, categories: [], window: TimeWindow(begin: nil, end: nil), label: label,
                                                  priority: priority, source: file.source(path: path, row: row)), "row \(row.number): \(bad)"))
                    }
                }
            } else {
                let window: TimeWindow
                do {
                    let range = try TimeArgument.parseRange(covers!, now: now)
                    window = TimeWindow(begin: range.begin, end: range.end)
                } catch { throw ValidationError("--covers: \(error)") }
                specs.append((RequestSpec(context: context, categories: categories, stream: stream, window: window, label: label, priority: priority), nil))
            }
            let added = try RequestSession(catalog, create: true).add(specs, at: now)
            let done = "\(added.count) request\(added.count == 1 ? " was" : "s were") added to the catalog."
            if output.json {
                if fromFITS == nil { try Output.json(RequestListing(added[0]), done: done) } else { try Output.json(added.map { RequestListing($0) }, done: done) }
            } else {
                try Output.print(RequestTable.requests(added), done: done)
            }
            if added.contains(where: { $0.state == .fault }) { throw ExitCode(4) }
        }
    }
}

struct RequestList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Every request: its state, fault, files ready and dependents.",
        discussion: "Exit status: 0 listed, 1 could not run (no catalog), 64 bad command line.")

    @Option(help: "Only requests in this state: new, run, full or fault.") var state: RequestState?
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let store = try catalog.openRequestStore(write: false)
            let requests = try runtime { try store.requests(RequestFilter(state: state)) }
            if output.json { try Output.json(requests.map { RequestListing($0) }); return }
            try Output.print(RequestTable.requests(requests))
        }
    }
}

struct RequestShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One request; with --files, every file it needs and where it stands.",
        discussion: "Exit status: 0 shown, 1 could not run (no catalog), 64 bad command line (no such request).")

    @Argument(help: "The request's id.") var id: Int64
    @Flag(help: "List the files it needs.") var files = false
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let store = try catalog.openRequestStore(write: false)
            guard let r = try runtime({ try store.requests(RequestFilter(id: id)) }).first else {
                throw Failure.usage("the catalog has no request \(id); `tidemark request list` shows them")
            }
            let list = files ? try runtime { try store.requestFiles(id) } : nil
            if output.json { try Output.json(RequestListing(r, files: list)); return }
            var text = RequestTable.requests([r])
            if let source = r.spec.source { text += "\nsource: \(source)" }
            if let list {
                text += "\n\n" + Format.table(["PATH", "CATEGORY", "STREAM", "START", "END", "STATE", "DEPENDENT"], list.map { f in
                    [f.path.displayPath, f.category, f.stream, Format.time(f.coverage?.start), Format.time(f.coverage?.end), f.state.name,
                     f.dependent.map { "\($0) \(f.dependentState?.rawValue ?? "")" } ?? "-"]
                })
            }
            try Output.print(text)
        }
    }
}

struct RequestRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Advance requests: resolve new ones, run update commands for new dependents, finish requests.",
        discussion: """
            Dependents are claimed (like queued work: a token and a lease on the catalog's clock), \
            so runs on one host or many never start one update twice; a run that dies holding one \
            leaves it to the next run once its lease (the command's timeout plus a margin) runs out, \
            which starts it again, or faults it (2) after three such claims. A dependent is full only \
            when its command exited 0 and its file is back under its root, a regular file whose \
            coverage, read again, overlaps what was needed. A request whose files are all live or \
            regenerated becomes full (and runs the context's request_job); its files stay pinned \
            for the context's pin_grace (default 1 day). The next scan brings the regenerated \
            files' rows up to date.

            Exit status: 0 done, 1 could not run, 2 a bad context definition, 4 done, but an update \
            or a request faulted, 64 bad command line.
            """)

    @Flag(help: "One pass: claim at most --jobs dependents, run them and stop.") var once = false
    @Option(help: "At most this many update commands at once (default 1).") var jobs: Int = 1
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if !(1...256).contains(jobs) { throw ValidationError("--jobs must be between 1 and 256") }
    }

    func run() throws {
        try exitReporting {
            let session = try RequestSession(catalog, create: false)
            var runner = UpdateRunner(store: session.store, definition: session.definitions.definition, worker: RequestSession.worker("request run"), jobs: jobs)
            runner.actions = ActionRunner(journal: session.store)
            let report = try runtime { try runner.run(once: once, now: { currentInstant }) }
            let done = "\(report.updates.count) update\(report.updates.count == 1 ? "" : "s") ran and were recorded in the catalog."
            if output.json {
                try Output.json(RunJSON(report), done: done)
            } else {
                var lines: [String] = []
                if !report.resolved.isEmpty { lines.append("Resolved:\n" + RequestTable.requests(report.resolved)) }
                if !report.updates.isEmpty {
                    lines.append(Format.table(["DEPENDENT", "PATH", "STATE", "FAULT", "ENDED", "SECONDS", "MESSAGE"], report.updates.map { u in
                        let (state, fault, message) = RunJSON.Update.parts(u)
                        return [String(u.dependent), u.path.displayPath, u.lost ? "lost" : state, fault.map(String.init) ?? "-", u.ended ?? "-",
                                Format.seconds(u.seconds), message ?? ""]
                    }))
                }
                if !report.settled.isEmpty { lines.append("Requests moved on:\n" + RequestTable.requests(report.settled)) }
                for j in report.jobs { lines.append("Job of request \(j.request): \(j.argv.joined(separator: " ")) — \(j.ended)") }
                try Output.print(lines.isEmpty ? "Nothing to do: no new request and no dependent to start." : lines.joined(separator: "\n\n"), done: done)
            }
            let faulted = report.updates.contains { if case .fault = $0.outcome { return true } else { return false } }
                || (report.resolved + report.settled).contains { $0.state == .fault } || report.jobs.contains { !$0.succeeded }
            if faulted { throw ExitCode(4) }
        }
    }
}

extension RequestState: ExpressibleByArgument {}

/// The catalog and definitions a request command works with.
struct RequestSession {
    let store: any RequestStore & CatalogListing & ActionJournal
    let definitions: DefinitionCache

    init(_ catalog: CatalogOptions, create: Bool) throws {
        store = try catalog.openRequestStore(write: true, create: create)
        definitions = DefinitionCache(catalog.library)
    }

    /// Adds requests and resolves them in one pass (a malformed one is faulted at once, saying why).
    func add(_ specs: [(spec: RequestSpec, malformed: String?)], at: Instant) throws -> [RequestRecord] {
        for context in Set(specs.map(\.spec.context)).sorted() { try definitions.check(context) }
        let resolver = RequestResolver(store: store) { [definitions] c in Set(definitions.definition(c)?.requests.updates.keys ?? [:].keys) }
        return try runtime { try resolver.add(specs, at: at, by: Self.worker("request add")) }
    }

    /// Who acts, for the journal: the command, this host and process.
    static func worker(_ command: String) -> String {
        "\(command) on \(ProcessInfo.processInfo.hostName) pid \(getpid())"
    }
}

/// Context definitions looked up once each (nil when none is found); a bad one is a configuration error.
final class DefinitionCache: @unchecked Sendable {  // guarded by `lock`
    private let library: DefinitionLibrary
    private let lock = NSLock()
    private var found: [String: Result<ContextDefinition?, any Error>] = [:]

    init(_ library: DefinitionLibrary) { self.library = library }

    @Sendable func definition(_ context: String) -> ContextDefinition? {
        (try? lookup(context).get()) ?? nil
    }

    /// Throws a configuration failure when the context's definition is malformed.
    func check(_ context: String) throws {
        if case .failure(let e) = lookup(context) { throw Failure.configuration("\(e)") }
    }

    private func lookup(_ context: String) -> Result<ContextDefinition?, any Error> {
        lock.withLock {
            if let r = found[context] { return r }
            let r: Result<ContextDefinition?, any Error>
            do { r = .success(try library.definition(for: context)) } catch { r = .failure(error) }
            found[context] = r
            return r
        }
    }
}

/// The tables people read.
enum RequestTable {
    static func requests(_ rs: [RequestRecord]) -> String {
        Format.table(["ID", "STATE", "FAULT", "LABEL", "PRIORITY", "CONTEXT", "CATEGORY", "STREAM", "FROM", "TO", "FILES", "READY", "DEPENDENTS", "MESSAGE"],
                     rs.map { r in
            [String(r.id), r.state.rawValue, r.fault.map { "\($0) \(RequestFault.name($0))" } ?? "-", r.spec.label ?? "-", String(r.spec.priority),
             r.spec.context, r.spec.categories.joined(separator: ","), r.spec.stream ?? "any", Format.time(r.spec.window.begin),
             Format.time(r.spec.window.end), String(r.files), String(r.ready), String(r.dependents), r.message ?? ""]
        }, rightAligned: [0, 4, 10, 11, 12])
    }
}

/// What `request run --json` prints.
struct RunJSON: Encodable {
    let resolved: [RequestListing], updates: [Update], settled: [RequestListing], jobs: [Job]

    init(_ r: UpdateRunner.Report) {
        resolved = r.resolved.map { RequestListing($0) }; updates = r.updates.map(Update.init); settled = r.settled.map { RequestListing($0) }
        jobs = r.jobs.map { Job(request: $0.request, argv: $0.argv, ended: $0.ended, succeeded: $0.succeeded) }
    }

    struct Update: EncodesNulls {
        let dependent: Int64, path: String, state: String, fault: Int?, message: String?, argv: [String]?, ended: String?, seconds: Double, lost: Bool

        init(_ u: UpdateRunner.UpdateResult) {
            let (s, f, m) = Self.parts(u)
            dependent = u.dependent; path = u.path.displayPath; state = s; fault = f; message = m; argv = u.argv; ended = u.ended
            seconds = u.seconds; lost = u.lost
        }

        func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }

        static func parts(_ u: UpdateRunner.UpdateResult) -> (String, Int?, String?) {
            switch u.outcome {
            case .full(let m): ("full", nil, m)
            case .fault(let code, let m): ("fault", code, m)
            }
        }
    }

    struct Job: Encodable {
        let request: Int64, argv: [String], ended: String, succeeded: Bool
    }
}
