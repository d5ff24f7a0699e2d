import ArgumentParser

@main
struct Tidemark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidemark",
        abstract: "Catalog a scientific data archive and answer: what data covers this time?",
        discussion: """
            Tidemark walks data trees, reads each file's time coverage from its name or its \
            FITS/netCDF/NIDAS header, and keeps a catalog current (one SQLite file by default).

            Exit status: 0 done (per-file problems are counted and listed), 1 could not run \
            (no such root, catalog unwritable), 2 configuration error (a bad definition or \
            policy), 64 bad command line; `delete` and `policy run` add 3 nothing to do, \
            4 done with faults, 5 refused (another run holds the catalog's lock).

            The catalog is --db FILE, else $TIDEMARK_DB, else ~/.local/share/tidemark/catalog.sqlite.
            Context definitions are catalogs/<context>.toml, searched in --catalogs DIR, \
            $TIDEMARK_CATALOGS, ./catalogs, ~/.config/tidemark/catalogs, <prefix>/share/tidemark/catalogs \
            and /etc/tidemark/catalogs.

            `check` is a Nagios plugin and exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (never 64).
            """,
        version: "0.1.0",
        subcommands: [Scan.self, Find.self, Inspect.self, Covers.self, CoverageCommand.self, ReportCommand.self, Delete.self, PolicyCommand.self,
                      RootCommand.self, DatasetCommand.self, HostCommand.self, CopyCommand.self, RevertCommand.self, CatalogCommand.self, CheckCommand.self,
                      RequestCommand.self, DependentCommand.self, ServeCommand.self]
    )

    /// `check` answers as a Nagios plugin, a bad command line included; the rest as usual.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "check" { CheckCommand.runAsPlugin(arguments) }
        main(nil)
    }
}
