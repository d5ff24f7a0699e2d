import ArgumentParser
import Foundation
import TidemarkCore
import TidemarkPostgres

/// Where the catalog and the context definitions are.
struct CatalogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The catalog: a SQLite file, or a postgres:// URL.", valueName: "FILE|URL"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Directory of context definitions (<context>.toml).", valueName: "DIR"))
    var catalogs: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Where the catalog is: --db, else $TIDEMARK_DB, else the default file.
    var location: CatalogLocation { catalogLocation(db ?? SQLiteCatalog.defaultPath(environment: environment)) }

    /// Opens the catalog for queries, as the query store (queries are written against the
    /// protocol, whatever store is behind it): a SQLite file read-only, or a PostgreSQL server.
    /// A query creates nothing: no file, no schema ("no catalog here yet").
    func openQueryStore() throws -> any QueryStore {
        try open(create: false, readOnly: true)
    }

    /// Opens the catalog for `delete`, `policy` and `root`; never creates one. `readOnly`
    /// (plans): not a byte of a SQLite catalog is written; a PostgreSQL catalog is only read.
    func openPolicyStore(readOnly: Bool) throws -> any PolicyStore {
        try open(create: false, readOnly: readOnly)
    }

    /// Opens the catalog as the dataset and host stores: written by the commands that change
    /// it (created only by `host add`), read-only otherwise.
    func openDatasetStore(write: Bool, create: Bool = false) throws -> any DatasetStore & HostStore & ActionJournal {
        try open(create: create, readOnly: !write)
    }

    /// Opens the catalog as the request store: written by the commands that change requests
    /// (created only by `request add`), read-only otherwise.
    func openRequestStore(write: Bool, create: Bool = false) throws -> any RequestStore & CatalogListing & ActionJournal {
        try open(create: create, readOnly: !write)
    }

    /// Opens the catalog as the copy store (with datasets and hosts): written by the commands
    /// that change it, read-only otherwise; never created.
    func openCopyStore(write: Bool) throws -> any CopyStore & DatasetStore & HostStore & ActionJournal {
        try open(create: false, readOnly: !write)
    }

    /// Opens the catalog for `serve`, read-only: the stores the server reads.
    func openServedStore() throws -> any QueryStore & DatasetStore & HostStore & CopyStore & RequestStore {
        try open(create: false, readOnly: true)
    }

    /// Opens the catalog to scan into, created if need be.
    func openScanStore() throws -> any ScanStore {
        switch location {
        case .sqlite(let path): return try Self.runtime { try SQLiteCatalog(path: path, create: true, readOnly: false) }
        case .postgres(let url): return try Self.runtime { try PostgresScanStore(url: url, environment: environment) }
        }
    }

    /// The catalog `--db` names, as the one type of either store that serves every command
    /// but the scan (which has its own store, with its connections per walker).
    private func open(create: Bool, readOnly: Bool) throws -> any CatalogStore & DatasetStore & HostStore & CopyStore & RequestStore {
        switch location {
        case .sqlite(let path): return try Self.runtime { try SQLiteCatalog(path: path, create: create, readOnly: readOnly) }
        case .postgres(let url):
            return try Self.runtime { try PostgresCatalog.open(url: url, environment: environment, create: create, readOnly: readOnly) }
        }
    }

    /// A store's failure to open as a runtime failure (exit 1) with its message.
    private static func runtime<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw Failure.runtime("\(error)") }
    }

    var library: DefinitionLibrary {
        DefinitionLibrary.standard(explicit: catalogs.map(expandTilde), environment: environment,
                                   currentDirectory: FileManager.default.currentDirectoryPath,
                                   executable: CommandLine.arguments.first.flatMap(resolveExecutable))
    }

    func definition(for context: String) throws -> ContextDefinition {
        do {
            if let d = try library.definition(for: context) { return d }
        } catch {
            throw Failure.configuration(error.description)
        }
        throw Failure.configuration("""
            no definition for context '\(context)'; looked for \(context).toml in:
              \(library.directories.joined(separator: "\n  "))
            Create one (see catalogs/README.md for the format) or name its directory with --catalogs DIR.
            """)
    }

    /// The roots each context's definition names now, for the contexts whose definition is
    /// found (the others' current roots are those of their latest complete scan).
    func definitionRoots(for contexts: [String]) throws -> [String: [PathBytes]] {
        var out: [String: [PathBytes]] = [:]
        for c in contexts {
            do { out[c] = try library.definition(for: c)?.roots.map(\.pathBytes) } catch { throw Failure.configuration(error.description) }
        }
        return out
    }
}

/// `--json` for scripts; tables for people otherwise.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON for scripts instead of a table.")
    var json = false
}

/// Failures that end a command with a message and a documented exit status.
enum Failure: Error {
    /// Could not run: exit 1.
    case runtime(String)
    /// A bad definition or policy: exit 2.
    case configuration(String)
    /// A bad command line found out while running (an argument naming the wrong thing): exit 64.
    case usage(String)
}

/// Prints the failure to stderr and exits with its status.
func exitReporting(_ run: () throws -> Void) throws {
    do { try run() } catch let f as Failure {
        switch f {
        case .runtime(let m):
            Terminal.error(m)
            throw ExitCode(1)
        case .configuration(let m):
            Terminal.error(m)
            throw ExitCode(2)
        case .usage(let m):
            Terminal.error(m)
            throw ExitCode.validationFailure
        }
    }
}

/// A catalog named on the command line: a postgres:// URL, or a SQLite file (`~/` expanded).
func catalogLocation(_ text: String) -> CatalogLocation {
    switch CatalogLocation(text) {
    case .sqlite(let path): return .sqlite(path: expandTilde(path))
    case .postgres(let url): return .postgres(url: url)
    }
}

func expandTilde(_ p: String) -> String {
    p.hasPrefix("~/") ? NSHomeDirectory() + p.dropFirst() : p
}

/// Absolute path of a directory argument, without a trailing slash.
func absolutePath(_ p: String) -> String {
    var abs = expandTilde(p)
    if !abs.hasPrefix("/") { abs = FileManager.default.currentDirectoryPath + "/" + abs }
    let standardized = URL(fileURLWithPath: abs).standardizedFileURL.path
    return standardized.count > 1 && standardized.hasSuffix("/") ? String(standardized.dropLast()) : standardized
}

private func resolveExecutable(_ argv0: String) -> String? {
    if argv0.contains("/") { return absolutePath(argv0) }
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = "\(dir)/\(argv0)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Which part of the catalog a query looks at.
struct FilterOptions: ParsableArguments {
    @Option(help: "Only this context.") var context: String?
    @Option(name: [.customLong("category"), .customLong("categories")], help: "Only this category (repeatable).")
    var categories: [String] = []
    @Option(help: "Only this stream.") var stream: String?
}

/// `--limit N` of `find` and `covers`.
struct LimitOption: ParsableArguments {
    @Option(help: "At most this many files.") var limit: Int?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }
}

/// Parses a time argument or fails as a usage error naming the option.
func parseTime(_ text: String, option: String, now: Instant) throws -> Instant {
    do { return try TimeArgument.parse(text, now: now) } catch { throw ValidationError("\(option): \(error)") }
}

var currentInstant: Instant { Instant(secondsSince1970: Date().timeIntervalSince1970) }
