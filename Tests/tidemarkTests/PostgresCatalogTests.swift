import Foundation
import Testing
import TestSupport
import TidemarkCore

/// `--db postgres://…`: a PostgreSQL URL is a server, never a relative SQLite path.
@Suite struct PostgresCatalogTests {
    static let url = "postgres://alice:s3cret-pw@127.0.0.1:1/archive"

    /// Each command that opens a catalog, given the URL by `--db` or by `$TIDEMARK_DB`: every
    /// one runs on PostgreSQL, so with no server there it says it cannot connect.
    static let commands: [[String]] = [
        ["find", "--context", "perdigao/ustar"],
        ["covers", "2017-05-01"],
        ["coverage", "--from", "2017-05-01", "--to", "2017-05-02"],
        ["report"],
        ["root", "list"],
        ["root", "forget", "/nowhere", "--context", "perdigao/ustar"],
        ["policy", "plan", packageRoot + "/policies/ustar-nightly.toml", "--catalogs", packageRoot + "/catalogs"],
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
                #expect(r.stderr.contains("cannot connect to 127.0.0.1:1"), "\(command): \(r.stderr)")
                #expect(r.stderr.contains("alice:***@127.0.0.1:1/archive"), "\(command): \(r.stderr)")
            }
        }
    }

    /// The suite's private server (scripts/test-postgres) is up and takes its URL's password.
    @Test func theTestServerAnswers() throws {
        guard let url = testPostgresURL() else { return }
        #expect(try psql(url, "SELECT current_database()") == "tidemark_test")
    }
}
