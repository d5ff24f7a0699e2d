import Foundation
import Testing

/// The catalog stores the behaviour suites run on: every such test takes one as its argument
/// and must pass on both.
public enum TestStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    public var testDescription: String { rawValue }

    /// A fresh, empty catalog location of this store for one test: a SQLite file path in a
    /// new directory, or a new database on the suite's server; nil when there is no server
    /// (skipped on a developer's machine, a recorded failure under CI).
    public func freshLocation() throws -> String? {
        switch self {
        case .sqlite: return temporaryDirectory("catalog") + "/c.db"
        case .postgres: return try freshPostgresDatabase()
        }
    }

    /// Runs one SQL statement on a catalog of this store as a person would (sqlite3 or psql,
    /// a separate process), rows one a line, columns joined by `|` (both tools print so).
    /// Subqueries in FROM need an alias (`AS t`) for PostgreSQL.
    public func sql(_ location: String, _ query: String) throws -> String {
        switch self {
        case .sqlite: return try sqlite3(location, query)
        case .postgres: return try psql(location, query)
        }
    }

    /// Every row of every table, as text: a catalog that gives the same before and after
    /// was not changed (SQLite: the file's bytes; PostgreSQL: `pg_dump --data-only`, which
    /// also shows a sequence moved on).
    public func contents(_ location: String) throws -> Data {
        switch self {
        case .sqlite: return FileManager.default.contents(atPath: location) ?? Data()
        case .postgres:
            // Less the random key pg_dump fences its output with (`\restrict KEY`).
            let dump = try run("/usr/bin/pg_dump", [location, "--data-only", "--no-owner"])
            return Data(dump.split(separator: "\n").filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n").utf8)
        }
    }
}

extension TestStore {
    /// The rows whose references point nowhere, one a line (empty when none). Neither store
    /// checks every reference as rows are written — SQLite's foreign keys are off, and
    /// PostgreSQL's on `files` went with "v15: files' references kept by the writer" — so
    /// the tests check that the writers kept them: SQLite's `foreign_key_check`, and on
    /// PostgreSQL (which still enforces its other references) `orphanedFilesSQL`.
    public func danglingReferences(_ location: String) throws -> String {
        switch self {
        case .sqlite: return try sqlite3(location, "PRAGMA foreign_key_check")
        case .postgres: return try psql(location, orphanedFilesSQL)
        }
    }
}

/// The files whose directory, stream, dataset or removing policy run is not in the catalog,
/// as `files|id|table` rows (the form of SQLite's `foreign_key_check`). Plain SQL, so either
/// store can run it.
public let orphanedFilesSQL = """
    SELECT 'files', id, 'dirs' FROM files f WHERE NOT EXISTS (SELECT 1 FROM dirs d WHERE d.id = f.dir_id)
    UNION ALL SELECT 'files', id, 'streams' FROM files f WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.id = f.stream_id)
    UNION ALL SELECT 'files', id, 'datasets' FROM files f
        WHERE f.dataset_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM datasets x WHERE x.id = f.dataset_id)
    UNION ALL SELECT 'files', id, 'policy_runs' FROM files f
        WHERE f.gone_run IS NOT NULL AND NOT EXISTS (SELECT 1 FROM policy_runs p WHERE p.id = f.gone_run)
    ORDER BY 2, 3
    """

/// Runs one SQL statement with the sqlite3 shell.
public func sqlite3(_ db: String, _ query: String) throws -> String {
    try run("/usr/bin/sqlite3", [db, query]).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Runs a tool and returns its standard output; a failure is an error with its standard error.
private func run(_ tool: String, _ arguments: [String]) throws -> String {
    let r = try runTool(tool, arguments)
    guard r.status == 0 else { throw PSQLFailure(message: "\(tool): " + r.stderr) }
    return r.stdout
}

/// Runs a program to its end with empty standard input; its exit status and both outputs
/// (read at once, so neither pipe fills and stalls it).
public func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    nonisolated(unsafe) var errData = Data()
    let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    while !reader.isFinished { Thread.sleep(forTimeInterval: 0.001) }
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Copies a catalog with the built `tidemark catalog copy`, a process of its own as a user
/// runs it (in-process, its COPY waits on a task of the cooperative pool that the tests'
/// own blocked threads may be holding).
public func copyCatalog(from source: String, to destination: String) throws {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("tidemark").path) {
        dir = Bundle.main.bundleURL.deletingLastPathComponent()
    }
    _ = try run(dir.appendingPathComponent("tidemark").path, ["catalog", "copy", "--from", source, "--to", destination])
}
