import ArgumentParser
import Foundation
import TidemarkCore

/// `tidemark check …`: Nagios plugins reading the catalog.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Nagios plugins: one line `TIDEMARK <WHAT> OK|WARNING|CRITICAL|UNKNOWN - text | perfdata`.",
        discussion: """
            Exit status, as Nagios reads it: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. UNKNOWN \
            is also the answer when the catalog cannot be read, the context is not in it, or \
            the command line is bad: a check never exits 64. Durations are 90s, 30m, 26h, 2d.
            """,
        subcommands: [ScanAgeCheckCommand.self, ArrivalCheckCommand.self, GapsCheckCommand.self, PolicyRunCheckCommand.self,
                      DiskCheckCommand.self, FaultsCheckCommand.self])

    /// Runs a check's command line as a plugin: parse errors and failures are UNKNOWN (3),
    /// `--help` prints help and exits 0.
    static func runAsPlugin(_ arguments: [String]) -> Never {
        do {
            var command = try Tidemark.parseAsRoot(arguments)
            try command.run()
        } catch let e as CheckExit {
            Foundation.exit(e.state.rawValue)
        } catch {
            let code = Tidemark.exitCode(for: error)
            if code == .success { Tidemark.exit(withError: error) }
            let what = arguments.dropFirst().first.map { $0.uppercased() }.flatMap { $0.hasPrefix("-") ? nil : $0 } ?? "CHECK"
            let message = Tidemark.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            print(CheckResult(what: what, state: .unknown, text: message + " (see tidemark check --help)").line)
            Foundation.exit(CheckState.unknown.rawValue)
        }
        Foundation.exit(0)
    }
}

/// Ends a check with its state as the exit status, after its line is printed.
struct CheckExit: Error { var state: CheckState }

/// Options every check takes.
struct CheckOptions: ParsableArguments {
    @OptionGroup var catalog: CatalogOptions

    @Option(help: ArgumentHelp("Judge as of this time instead of the clock (for testing a threshold).", visibility: .hidden))
    var now: String?

    /// Opens the query store, runs `check` on it and prints its line; anything that stops the
    /// check from judging is UNKNOWN.
    func run(_ what: String, _ check: (any QueryStore, Instant) throws -> CheckResult) throws {
        let result: CheckResult
        do {
            let at = try now.map { text -> Instant in
                do { return try TimeArgument.parse(text, now: currentInstant) } catch { throw CheckUnknown("--now: \(error)") }
            } ?? currentInstant
            let store: any QueryStore
            do { store = try catalog.openQueryStore() } catch let Failure.runtime(m) { throw CheckUnknown(m) }
            result = try check(store, at)
        } catch let e as CheckUnknown {
            result = CheckResult(what: what, state: .unknown, text: e.description)
        }
        print(result.line)
        throw CheckExit(state: result.state)
    }
}

/// `--warning`/`--critical` as durations (an age).
struct AgeThresholdOptions: ParsableArguments {
    @Option(help: ArgumentHelp("WARNING at or over this age (26h, 90m).", valueName: "DURATION")) var warning: String?
    @Option(help: ArgumentHelp("CRITICAL at or over this age.", valueName: "DURATION")) var critical: String?

    /// The thresholds in seconds; a duration that does not parse is UNKNOWN.
    var thresholds: Thresholds {
        get throws {
            try checkThresholds(warning: warning, critical: critical) { text in
                do { return Double(try Duration.parse(text)) / 1e6 } catch { throw CheckUnknown("\(error)") }
            }
        }
    }
}

/// `check scan-age`.
struct ScanAgeCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan-age", abstract: "Time since the context's last completed scan.")

    @OptionGroup var options: CheckOptions
    @Option(help: "The context.") var context: String
    @OptionGroup var age: AgeThresholdOptions

    func run() throws {
        try options.run("SCAN-AGE") { store, now in
            try ScanAgeCheck.run(store, context: context, thresholds: try age.thresholds, now: now)
        }
    }
}

/// `check arrival`.
struct ArrivalCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arrival", abstract: "Age of the newest coverage end of a category's (or a stream's) live files.")

    @OptionGroup var options: CheckOptions
    @Option(help: "The context.") var context: String
    @Option(help: "The category (raw/nidas).") var category: String
    @Option(help: "Only this stream.") var stream: String?
    @OptionGroup var age: AgeThresholdOptions

    func run() throws {
        try options.run("ARRIVAL") { store, now in
            try ArrivalCheck.run(store, context: context, category: category, stream: stream, thresholds: try age.thresholds, now: now)
        }
    }
}

/// `check gaps`.
struct GapsCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gaps", abstract: "Any gap in a stream's live coverage within the window longer than the thresholds.")

    @OptionGroup var options: CheckOptions
    @Option(help: "The context.") var context: String
    @Option(name: [.customLong("category"), .customLong("categories")], help: "Only this category (repeatable).")
    var categories: [String] = []
    @Option(help: "Only this stream.") var stream: String?
    @Option(help: ArgumentHelp("The window: this long before now (1d).", valueName: "DURATION")) var since: String
    @OptionGroup var length: AgeThresholdOptions

    func run() throws {
        try options.run("GAPS") { store, now in
            let window: Int64
            do { window = try Duration.parse(since) } catch { throw CheckUnknown("--since: \(error)") }
            return try GapsCheck.run(store, context: context, categories: categories, stream: stream, since: window,
                                     thresholds: try length.thresholds, now: now)
        }
    }
}

/// `check policy-run`.
struct PolicyRunCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy-run", abstract: "Age and outcome of a policy's last run (faults or an interrupted run: at least WARNING).")

    @OptionGroup var options: CheckOptions
    @Argument(help: "The policy's name.") var name: String
    @OptionGroup var age: AgeThresholdOptions

    func run() throws {
        try options.run("POLICY-RUN") { store, now in
            try PolicyRunCheck.run(store, policy: name, thresholds: try age.thresholds, now: now)
        }
    }
}

/// `--warning`/`--critical` as numbers (a count, or a percentage with an optional `%`).
struct NumberThresholdOptions: ParsableArguments {
    @Option(help: ArgumentHelp("WARNING at or over this (90%, or a count).", valueName: "N")) var warning: String?
    @Option(help: ArgumentHelp("CRITICAL at or over this.", valueName: "N")) var critical: String?

    /// The thresholds; a number that does not parse is UNKNOWN.
    var thresholds: Thresholds {
        get throws {
            try checkThresholds(warning: warning, critical: critical) { text in
                let digits = text.hasSuffix("%") ? String(text.dropLast()) : text
                guard let v = Double(digits), v.isFinite, v >= 0 else { throw CheckUnknown("'\(text)' is not a number (90%, 10)") }
                return v
            }
        }
    }
}

/// `check disk`.
struct DiskCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk", abstract: "How full the file system of each of the context's roots is (statvfs, as df's Use%).")

    @OptionGroup var options: CheckOptions
    @Option(help: "The context.") var context: String
    @OptionGroup var percent: NumberThresholdOptions

    func run() throws {
        try options.run("DISK") { store, _ in try DiskCheck.run(store, context: context, thresholds: try percent.thresholds) }
    }
}

/// `check faults`.
struct FaultsCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Failed actions of policy runs (failed copies, dependents and requests will count too once Tidemark has them).")

    @OptionGroup var options: CheckOptions
    @Option(help: ArgumentHelp("Only runs started within this long before now (1d).", valueName: "DURATION")) var since: String?
    @Option(help: ArgumentHelp("Also count the `failed` work items of this queue (repeatable).", valueName: "NAME")) var queue: [String] = []
    @OptionGroup var count: NumberThresholdOptions

    func run() throws {
        try options.run("FAULTS") { store, now in
            let from: Instant?
            do { from = try since.map { Instant(microseconds: now.microseconds - (try Duration.parse($0))) } } catch {
                throw CheckUnknown("--since: \(error)")
            }
            return try FaultsCheck.run(store, since: from, queues: queue, thresholds: try count.thresholds)
        }
    }
}

/// Parses `--warning` and `--critical` with `parse`; a bad one is UNKNOWN naming its option,
/// and at least one must be given.
func checkThresholds(warning: String?, critical: String?, parse: (String) throws -> Double) throws -> Thresholds {
    func value(_ text: String?, _ option: String) throws -> Double? {
        guard let text else { return nil }
        do { return try parse(text) } catch { throw CheckUnknown("\(option): \(error)") }
    }
    let t = Thresholds(warning: try value(warning, "--warning"), critical: try value(critical, "--critical"))
    if t.warning == nil && t.critical == nil { throw CheckUnknown("give --warning, --critical or both") }
    return t
}
