import Foundation
import Testing
import TestSupport
import TidemarkCore

/// `--db postgres://…`: a PostgreSQL URL is a server, never a relative SQLite path.
@Suite struct PostgresCatalogTests {
    static let url = "postgres://alice:s3cret-pw@127.0.0.1:1/archive"

    /// The commands that run on PostgreSQL: with no server there, they say they cannot connect.
    static let queries: [[String]] = [
        ["find", "--context", "perdigao/ustar"],
        ["covers", "2017-05-01"],
        ["coverage", "--from", "2017-05-01", "--to", "2017-05-02"],
        ["report"],
        ["root", "list"],
        ["root", "forget", "/nowhere", "--context", "perdigao/ustar"],
        ["policy", "plan", packageRoot + "/policies/ustar-nightly.toml", "--catalogs", packageRoot + "/catalogs"],
    ]

    /// Each command that opens a catalog, given the URL by `--db` or by `$TIDEMARK_DB`.
    static let commands: [[String]] = queries + [
        ["scan", "perdigao/ustar", "--catalogs", packageRoot + "/catalogs"],
    ]

    @Test(arguments: commands, [true, false])
    func aPostgresURLIsRefusedWithoutMakingADirectory(_ command: [String], byOption: Bool) throws {
        let dir = TempTree("pg-url")
        for scheme in ["postgres", "postgresql", "POSTGRES"] {
            let url = scheme + Self.url.drop(while: { $0 != ":" })
            let r = byOption ? try tidemark(command + ["--db", url], cwd: dir.root)
                             : try tidemark(command, environment: ["TIDEMARK_DB": url], cwd: dir.root)
            #expect(r.status == 1 || r.status == 2 || r.status == 64, "\(command) \(url): \(r.stderr)")
            #expect(!r.stderr.contains("s3cret-pw"), "\(command): the password was printed: \(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.root).isEmpty, "\(command) \(url) created files")
            if r.status == 1 {
                let said = Self.queries.contains(command) ? "cannot connect to 127.0.0.1:1" : "does not run on a PostgreSQL catalog yet"
                #expect(r.stderr.contains(said), "\(command): \(r.stderr)")
                #expect(r.stderr.contains("alice:***@127.0.0.1:1/archive"), "\(command): \(r.stderr)")
            }
        }
    }

    /// The commands that do not run on PostgreSQL yet say so (exit 1) before connecting.
    @Test func scanSaysItDoesNotRunOnPostgreSQLYet() throws {
        let dir = TempTree("pg-scan")
        let r = try tidemark(["scan", "perdigao/ustar", "--db", Self.url, "--catalogs", packageRoot + "/catalogs"], cwd: dir.root)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("postgres://alice:***@127.0.0.1:1/archive: this command does not run on a PostgreSQL catalog yet"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.root + "/postgres:"))
    }

    /// The suite's private server (scripts/test-postgres) is up and takes its URL's password.
    @Test func theTestServerAnswers() throws {
        guard let url = testPostgresURL() else { return }
        #expect(try psql(url, "SELECT current_database()") == "tidemark_test")
    }
}
