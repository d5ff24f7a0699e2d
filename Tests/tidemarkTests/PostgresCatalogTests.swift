import Foundation
import Testing
import TestSupport
import TidemarkCore

/// `--db postgres://…`: a PostgreSQL URL is a server, never a relative SQLite path.
@Suite struct PostgresCatalogTests {
    static let url = "postgres://alice:s3cret-pw@127.0.0.1:1/archive"

    /// Each command that opens a catalog, given the URL by `--db` or by `$TIDEMARK_DB`.
    static let commands: [[String]] = [
        ["find", "--context", "perdigao/ustar"],
        ["covers", "2017-05-01"],
        ["report"],
        ["root", "list"],
        ["root", "forget", "/nowhere", "--context", "perdigao/ustar"],
        ["policy", "plan", packageRoot + "/policies/ustar-nightly.toml", "--catalogs", packageRoot + "/catalogs"],
    ]

    /// `scan` runs on PostgreSQL: a server it cannot reach is exit 1, said with the password
    /// masked, and no `postgres:` directory is made.
    @Test(arguments: [true, false]) func scanToAnUnreachableServerSaysSo(byOption: Bool) throws {
        let dir = TempTree("pg-scan-url")
        let command = ["scan", "perdigao/ustar", "--catalogs", packageRoot + "/catalogs", "--scan", dir.root]
        let r = byOption ? try tidemark(command + ["--db", Self.url], cwd: dir.root)
                         : try tidemark(command, environment: ["TIDEMARK_DB": Self.url], cwd: dir.root)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(!r.stderr.contains("s3cret-pw") && r.stderr.contains("alice:***@127.0.0.1:1/archive"), "\(r.stderr)")
        #expect(r.stderr.contains("cannot connect to 127.0.0.1:1"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.root).isEmpty)
    }

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
                #expect(r.stderr.contains("PostgreSQL catalog supports no commands yet"), "\(command): \(r.stderr)")
                #expect(r.stderr.contains("alice:***@127.0.0.1:1/archive"), "\(command): \(r.stderr)")
            }
        }
    }

    /// The commands that go as far as opening the catalog say why they stop (exit 1).
    @Test func findSaysThePostgreSQLCatalogIsNotSupportedYet() throws {
        let dir = TempTree("pg-find")
        let r = try tidemark(["find", "--db", Self.url], cwd: dir.root)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("postgres://alice:***@127.0.0.1:1/archive: the PostgreSQL catalog supports no commands yet"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.root + "/postgres:"))
    }

    /// The suite's private server (scripts/test-postgres) is up and takes its URL's password.
    @Test func theTestServerAnswers() throws {
        guard let url = testPostgresURL() else { return }
        #expect(try psql(url, "SELECT current_database()") == "tidemark_test")
    }
}
