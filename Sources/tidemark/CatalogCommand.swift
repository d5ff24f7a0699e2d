import ArgumentParser
import Foundation
import TidemarkCore
import TidemarkPostgres

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Work on a catalog as a whole: copy it between SQLite and PostgreSQL.",
        subcommands: [CatalogCopyCommand.self])
}

struct CatalogCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a whole catalog into a new, empty one: a SQLite file or a postgres:// URL, either way.",
        discussion: """
            Every table is copied — files and tombstones, directories, datasets, streams, coverage \
            runs and rollups, scans, policy runs and the journal, roots and their events — with its \
            ids, in one transaction on the destination, whose row counts are checked before it \
            commits. The destination is created if need be (a PostgreSQL database must exist: \
            createdb NAME) and must hold no data; both must be at the same schema changes.

            Exit status: 0 copied, 1 could not copy (nothing is kept on the destination), 64 bad command line.
            """)

    @Option(help: ArgumentHelp("The catalog to copy: a SQLite file or a postgres:// URL.", valueName: "FILE|URL")) var from: String
    @Option(help: ArgumentHelp("The new catalog: a SQLite file or a postgres:// URL.", valueName: "FILE|URL")) var to: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let report: CatalogCopyReport
            do {
                report = try CatalogCopy.run(from: catalogLocation(from), to: catalogLocation(to)) { t in
                    if !output.json && isatty(STDERR_FILENO) == 1 { Terminal.progress("copied \(t.name): \(Format.count(t.rows)) rows") }
                }
            } catch { throw Failure.runtime("\(error)") }
            if !output.json && isatty(STDERR_FILENO) == 1 { Terminal.clearProgress() }
            let done = "The catalog was copied to \(report.to)."
            if output.json {
                try Output.json(CopyJSON(from: report.from, to: report.to, seconds: report.seconds,
                                         tables: report.tables.map { .init(table: $0.name, rows: $0.rows) }), done: done)
                return
            }
            let rows = report.tables.map { [$0.name, Format.count($0.rows)] }
            try Output.print(Format.table(["TABLE", "ROWS"], rows, rightAligned: [1]) + "\n"
                             + "Copied \(report.from) to \(report.to) in \(Format.seconds(report.seconds)); every table's row count checked.",
                             done: done)
        }
    }

    private struct CopyJSON: Encodable {
        struct Table: Encodable { let table: String, rows: Int }
        let from: String, to: String, seconds: Double, tables: [Table]
    }
}
