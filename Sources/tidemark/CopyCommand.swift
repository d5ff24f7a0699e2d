import ArgumentParser
import Foundation
import TidemarkCore

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "The copy queue: queue datasets for hosts, run the copies with rsync, list, drop, pause and resume.",
        discussion: """
            A dataset is copied whole, at most once per host, over ssh (BatchMode) for hosts added \
            with --ssh; each copy goes new → run → full (verified: nothing left to send), or fault with an IPP code: 1 unknown, 2 system/network, 3 configuration, \
            5 data, 6 timeout. `tidemark revert copies` retries faults 2 and 6.
            """,
        subcommands: [CopyQueue.self, CopyRun.self, CopyList.self, CopyDrop.self, CopyPause.self, CopyResume.self])
}

/// Where ssh's own configuration for copy hosts is.
struct SSHOptions: ParsableArguments {
    @Option(name: .customLong("ssh-config"), help: ArgumentHelp(
        "An ssh configuration file for the copy hosts (known hosts, proxies), else $TIDEMARK_SSH_CONFIG.", valueName: "FILE"))
    var sshConfig: String?

    var configFile: String? { (sshConfig ?? ProcessInfo.processInfo.environment["TIDEMARK_SSH_CONFIG"]).map(absolutePath) }
}

/// The destination's limits: at most this much used, and a margin beyond each dataset.
struct SpaceOptions: ParsableArguments {
    @Option(name: .customLong("max-used"), help: ArgumentHelp("At most this much of the destination used, after the dataset.", valueName: "PERCENT"))
    var maxUsed = "97%"
    @Option(help: ArgumentHelp("Bytes kept free beyond each dataset (e.g. 16Mi, 1G).", valueName: "SIZE")) var margin = "16Mi"

    func validate() throws {
        _ = try limits()
    }

    func limits() throws -> CopyQueuer.Limits {
        let used: Double
        do { used = try Quantity.percentage(maxUsed) } catch { throw ValidationError("--max-used: \(error)") }
        guard used > 0 && used <= 1 else { throw ValidationError("--max-used \(maxUsed): give a percentage from 1% to 100%") }
        guard let m = Quantity.bytes(margin) else { throw ValidationError("--margin '\(margin)' is not a size; write e.g. 16Mi or 1G") }
        return CopyQueuer.Limits(maxUsed: used, margin: m)
    }
}

struct CopyQueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Queue matching datasets, whole, for copying to a host and directory (IPP add.minidvodb.copy).",
        discussion: """
            Each dataset is queued at most once per host. Before queuing, the destination must stay \
            at most --max-used used with room for the dataset plus --margin; what is not queued is \
            listed with its reason.
            Exit status: 0 queued, 1 could not run, 2 a definition cannot be read, 3 nothing queued \
            (reasons listed), 5 refused (queuing is paused), 64 bad command line (no such host).
            """)

    @Option(help: "The datasets' context.") var context: String
    @Option(name: [.customLong("category"), .customLong("categories")], help: "Their category (repeatable).") var categories: [String] = []
    @Option(help: "Only this stream's datasets (IPP: the group).") var stream: String?
    @Option(help: "Only datasets in this state.") var state: String?
    @Option(help: "The destination host.") var host: String
    @Option(help: ArgumentHelp("The destination directory on the host (absolute).", valueName: "DIR")) var path: String
    @OptionGroup var space: SpaceOptions
    @OptionGroup var ssh: SSHOptions
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !categories.isEmpty else { throw ValidationError("give the datasets' category with --category (e.g. --category minidvodb)") }
        guard path.hasPrefix("/"), !path.contains("\0") else { throw ValidationError("--path '\(path)': give an absolute directory on the host") }
    }

    func run() throws {
        try exitReporting {
            let store = try catalog.openCopyStore(write: true)
            if try runtime({ try store.copySwitches().queuePaused }) { try refuse(CopyPaused(part: .queue)) }
            guard let record = try runtime({ try store.hosts() }).first(where: { $0.host.name == host }) else {
                throw Failure.usage("the catalog has no host '\(host)'; `tidemark host list` shows them, `tidemark host add` adds one")
            }
            let definition = try catalog.definition(for: context)
            let selection = CopyQueuer.Selection(context: context, categories: categories, stream: stream, state: state, host: host, path: path.pathBytes)
            let limits = try space.limits()
            let sshConfig = ssh.configFile
            let decisions: [CopyQueuer.Decision]
            do {
                decisions = try CopyQueuer(store: store).queue(selection, limits: limits, machine: { definition.stateMachine(for: $0) }, space: { h throws(CopyFailure) in
                    if let shell = RemoteShell(host: h.host, configFile: sshConfig) {
                        return try DestinationSpace.remote(selection.path, shell: shell, timeout: 60)
                    }
                    return try DestinationSpace.local(selection.path)
                }, at: currentInstant)
            } catch let e as CatalogError { throw Failure.runtime(e.description) }
            _ = record
            let queued = decisions.filter { $0.copy != nil }
            if output.json {
                try Output.json(decisions.map { d in
                    QueueJSON(dataset: d.dataset.name, category: d.dataset.category, stream: d.dataset.stream, bytes: d.dataset.bytes,
                              copy: d.copy, queued: d.copy != nil, reason: d.reason)
                })
            } else {
                var text = "Queued \(queued.count) of \(decisions.count) matching dataset(s) for \(host):\(path)."
                if decisions.contains(where: { $0.copy == nil }) {
                    text += "\nNot queued:\n" + Format.table(["DATASET", "BYTES", "REASON"], decisions.filter { $0.copy == nil }.map {
                        [$0.dataset.name, Format.bytes($0.dataset.bytes), $0.reason ?? "-"]
                    }, rightAligned: [1])
                }
                try Output.print(text)
            }
            if queued.isEmpty { throw ExitCode(3) }
        }
    }

    private struct QueueJSON: Encodable {
        let dataset: String, category: String, stream: String?, bytes: Int64, copy: Int64?, queued: Bool, reason: String?
    }
}

struct CopyRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run queued copies with rsync on hosts that are up and on; record each full or fault.",
        discussion: """
            Copies are claimed per row under a lease (renewed while rsync runs): a run killed \
            mid-copy leaves its copies in run, and the next run after the lease takes them up and \
            resumes (rsync --partial). A copy is full only once verified: each file at the destination \
            compared with its source as rsync compares them (in-process on this machine; on an \
            ssh host, or with --checksum, by a dry run that must find nothing left to send).
            Without --once the run goes on, looking for new copies every --interval, until stopped.
            Exit status: 0 every copy full, 1 could not run, 3 nothing to copy, 4 done with faults \
            (listed), 5 refused (running is paused), 64 bad command line.
            """)

    @Flag(help: "One pass over the queue, then exit.") var once = false
    @Option(help: "At most this many rsyncs at once.") var jobs = 2
    @Option(name: .customLong("per-host"), help: "At most this many rsyncs to one host at once.") var perHost = 1
    @Option(help: "Only this host's copies.") var host: String?
    @Option(help: ArgumentHelp("The longest one rsync may run (e.g. 30m, 4h); no limit if not given.", valueName: "DURATION")) var timeout: String?
    @Flag(help: "Verify by checksum, not by size and modification time.") var checksum = false
    @Option(help: ArgumentHelp("How long a claim holds without renewal (renewed while rsync runs).", valueName: "DURATION")) var lease = "5m"
    @Option(help: "At most this many datasets sent in one rsync (a failed one sends each alone).") var batch = 1000
    @Option(help: ArgumentHelp("Without --once: how long to wait between passes.", valueName: "DURATION")) var interval = "1m"
    @OptionGroup var space: SpaceOptions
    @OptionGroup var ssh: SSHOptions
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs \(jobs): give 1 to 64") }
        guard (1...64).contains(perHost) else { throw ValidationError("--per-host \(perHost): give 1 to 64") }
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch \(batch): give 1 to 10000") }
        for (name, text) in [("--timeout", timeout), ("--lease", lease), ("--interval", interval)] {
            guard let text else { continue }
            let micros: Int64
            do { micros = try Duration.parse(text) } catch { throw ValidationError("\(name): \(error)") }
            guard micros >= 1_000_000 else { throw ValidationError("\(name) \(text): give at least one second") }
        }
    }

    func run() throws {
        try exitReporting {
            var options = CopyRunner.Options(worker: "\(ProcessInfo.processInfo.hostName):\(getpid())")
            options.jobs = jobs
            options.perHost = perHost
            options.host = host
            options.timeout = try timeout.map { Double(try Duration.parse($0)) / 1e6 }
            options.checksum = checksum
            options.lease = try Duration.parse(lease)
            options.batch = batch
            options.limits = try space.limits()
            options.sshConfig = ssh.configFile
            TestHooks.copy(&options)
            let catalog = self.catalog
            let store = try catalog.openCopyStore(write: true)
            if let host, !(try runtime { try store.hosts() }).contains(where: { $0.host.name == host }) {
                throw Failure.usage("the catalog has no host '\(host)'; `tidemark host list` shows them")
            }
            let runner = CopyRunner(options: options, open: { try catalog.openCopyStore(write: true) })
            if once {
                let results: [CopyRunner.Result]
                do { results = try runner.runOnce() } catch let p as CopyPaused { try refuse(p) } catch let e as CatalogError {
                    throw Failure.runtime(e.description)
                }
                try report(results, last: true)
                return
            }
            // A worker: pass after pass, obeying the switches, until stopped.
            let pause = Double(try Duration.parse(interval)) / 1e6
            while true {
                do {
                    let results = try runner.runOnce()
                    if !results.isEmpty { try report(results, last: false) }
                } catch is CopyPaused {
                } catch let e as CatalogError { throw Failure.runtime(e.description) }
                Thread.sleep(forTimeInterval: pause)
            }
        }
    }

    /// Prints how each copy ended; the `last` report sets the exit status.
    private func report(_ results: [CopyRunner.Result], last: Bool) throws {
        if output.json {
            try Output.json(results.map(RunJSON.init))
        } else {
            let rows = results.map { r -> [String] in
                let (state, fault, bytes, seconds, message): (String, String, Int64, Double, String?) = switch r.outcome {
                case .full(let b, let s, _, let m): ("full", "-", b, s, m)
                case .fault(let c, let b, let s, let m): ("fault", "\(c.rawValue) \(c.name)", b, s, m)
                case .requeue(let m): ("new", "-", 0, 0, m)
                }
                return [String(r.claim.id), r.claim.datasetName, r.claim.host, state, fault, Format.bytes(bytes), Format.seconds(seconds), message ?? ""]
            }
            let full = results.filter { if case .full = $0.outcome { true } else { false } }.count
            try Output.print("Copied \(full) of \(results.count) dataset(s).\n"
                             + (rows.isEmpty ? "" : Format.table(["COPY", "DATASET", "HOST", "STATE", "FAULT", "BYTES", "TIME", "MESSAGE"], rows, rightAligned: [0, 5, 6])))
        }
        guard last else { return }
        if results.isEmpty { throw ExitCode(3) }
        if results.contains(where: { if case .full = $0.outcome { false } else { true } }) { throw ExitCode(4) }
    }

    private struct RunJSON: Encodable {
        let id: Int64, dataset: String, host: String, state: String, fault: Int?, bytes: Int64, dtime: Double, message: String?, verified: Bool

        init(_ r: CopyRunner.Result) {
            id = r.claim.id; dataset = r.claim.datasetName; host = r.claim.host
            switch r.outcome {
            case .full(let b, let s, let v, let m): state = "full"; fault = nil; bytes = b; dtime = s; message = m; verified = v
            case .fault(let c, let b, let s, let m): state = "fault"; fault = c.rawValue; bytes = b; dtime = s; message = m; verified = false
            case .requeue(let m): state = "new"; fault = nil; bytes = 0; dtime = 0; message = m; verified = false
            }
        }
    }
}

struct CopyList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The copies: id, dataset, host, path, state, fault, bytes, epoch (when it ended), dtime, message.",
        discussion: "Exit status: 0 listed, 1 could not run (no catalog), 64 bad command line.")

    @Option(help: "Only this host's copies.") var host: String?
    @Option(help: "Only copies in this state (new, run, full, fault).") var state: CopyState?
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let store = try catalog.openCopyStore(write: false)
            let copies = try runtime { try store.copies(CopyFilter(hosts: host.map { [$0] }, state: state)) }
            if output.json {
                try Output.json(copies.map(CopyListing.init))
                return
            }
            try Output.print(Format.table(["ID", "DATASET", "HOST", "PATH", "STATE", "FAULT", "BYTES", "EPOCH", "DTIME", "MESSAGE"], copies.map { c in
                [String(c.id), c.datasetName, c.host, c.path.displayPath, c.state.rawValue, c.fault.map { "\($0.rawValue) \($0.name)" } ?? "-",
                 Format.bytes(c.bytes), Format.time(c.epoch), c.dtime.map(Format.seconds) ?? "-",
                 (c.message ?? "").split(separator: "\n").last.map(String.init) ?? ""]
            }, rightAligned: [0, 6, 8]))
        }
    }
}

struct CopyDrop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop",
        abstract: "Drop copies of a host from the queue and the record (IPP del.minidvodb.copy); nothing is removed on disk.",
        discussion: "Exit status: 0 dropped, 1 could not run, 3 nothing matched, 64 bad command line (no such host or dataset).")

    @Option(help: "The host.") var host: String
    @Option(help: "Only this dataset's copy.") var dataset: String?
    @Option(help: "With --stream: only this category's copies.") var category: String?
    @Option(help: "With --category: only this stream's copies.") var stream: String?
    @Option(help: "The dataset's context, when its name is not unique.") var context: String?
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if dataset != nil && (category != nil || stream != nil) {
            throw ValidationError("give either --dataset D or --category X --stream G, not both")
        }
        if (category == nil) != (stream == nil) { throw ValidationError("--category and --stream go together (the copies of one stream of one category)") }
    }

    func run() throws {
        try exitReporting {
            let store = try catalog.openCopyStore(write: true)
            guard try runtime({ try store.hosts() }).contains(where: { $0.host.name == host }) else {
                throw Failure.usage("the catalog has no host '\(host)'; `tidemark host list` shows them")
            }
            var ids: [Int64]?
            if let dataset {
                let found = try runtime { try store.datasets(DatasetFilter(context: context, name: dataset)) }
                guard !found.isEmpty else { throw Failure.usage("the catalog has no dataset '\(dataset)'; `tidemark dataset list` shows them") }
                guard found.count == 1 else {
                    throw Failure.usage("dataset '\(dataset)' is in several contexts (\(found.map(\.context).joined(separator: ", "))): name one with --context")
                }
                ids = found.map(\.id)
            } else if let category, let stream {
                ids = try runtime { try store.datasets(DatasetFilter(context: context, categories: [category])) }.filter { $0.stream == stream }.map(\.id)
            }
            let dropped = try runtime { try store.dropCopies(host: host, datasets: ids) }
            if output.json { try Output.json(dropped.map(CopyListing.init)) } else {
                try Output.print("Dropped \(dropped.count) copy record(s) of \(host)" + (dropped.isEmpty ? "." : ": " + dropped.map(\.datasetName).joined(separator: ", ")))
            }
            if dropped.isEmpty { throw ExitCode(3) }
        }
    }
}

struct CopyPause: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause queuing or running copies (both when not named); cron-run workers obey (pantasks .off).",
        discussion: "Exit status: 0 paused, 1 could not run, 64 bad command line.")

    @Argument(help: "queue or run (both when not given).") var part: CopyPart?
    @OptionGroup var catalog: CatalogOptions

    func run() throws { try exitReporting { try switchCopies(catalog, part, paused: true) } }
}

struct CopyResume: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume queuing or running copies (both when not named) (pantasks .on).",
        discussion: "Exit status: 0 resumed, 1 could not run, 64 bad command line.")

    @Argument(help: "queue or run (both when not given).") var part: CopyPart?
    @OptionGroup var catalog: CatalogOptions

    func run() throws { try exitReporting { try switchCopies(catalog, part, paused: false) } }
}

extension CopyPart: ExpressibleByArgument {}
extension CopyState: ExpressibleByArgument {}

/// Sets the switches of `part` (both when nil).
private func switchCopies(_ catalog: CatalogOptions, _ part: CopyPart?, paused: Bool) throws {
    let store = try catalog.openCopyStore(write: true)
    let parts = part.map { [$0] } ?? CopyPart.allCases
    for p in parts {
        try runtime { try store.setCopySwitch(p, paused: paused, by: commandIdentity("copy \(paused ? "pause" : "resume")"), at: currentInstant) }
    }
    try Output.print("Copy \(parts.map(\.rawValue).joined(separator: " and ")) \(paused ? "paused" : "resumed").")
}

/// A paused part: its message, exit 5.
func refuse(_ paused: CopyPaused) throws -> Never {
    Terminal.error(paused.description)
    throw ExitCode(5)
}
