import Foundation
import Testing
import TestSupport
import TidemarkCore
import TidemarkPostgres

/// Reading postgres:// URLs and the password file, as libpq reads them.
@Suite struct PostgresURLTests {
    let env = ["USER": "obs", "HOME": "/nonexistent"]

    @Test func allPartsAreRead() throws {
        let u = try PostgresURL("postgresql://ann:p%40ss@db.example:6543/archive?sslmode=require", environment: env)
        #expect(u.user == "ann" && u.password == "p@ss" && u.host == "db.example" && u.port == 6543)
        #expect(u.database == "archive" && u.tls == .require)
        #expect(u.masked == "postgresql://ann:***@db.example:6543/archive?sslmode=require")
    }

    @Test func defaultsAreLibpqs() throws {
        let u = try PostgresURL("postgres://db.example", environment: env)
        #expect(u.user == "obs" && u.password == nil && u.port == 5432 && u.database == "obs" && u.tls == .prefer)
        #expect(try PostgresURL("postgres://db.example/x", environment: env.merging(["PGUSER": "pg"]) { $1 }).user == "pg")
        #expect(try PostgresURL("postgres://[::1]:7000/x", environment: env).host == "::1")
        #expect(try PostgresURL("postgres://h/x?sslmode=disable", environment: env).tls == .disable)
        #expect(try PostgresURL("postgres://h/x?sslmode=verify-full", environment: env).tls == .verifyFull)
    }

    @Test(arguments: [
        "postgres://u:secret@h/x?sslmode=maybe",
        "postgres://u:secret@h/x?colour=blue",
        "postgres://u:secret@h:99999/x",
        "postgres://u:secret@h/x/y",
        "mysql://u:secret@h/x",
    ])
    func badURLsAreRefusedWithoutThePassword(_ text: String) {
        #expect {
            _ = try PostgresURL(text, environment: env)
        } throws: { error in
            guard let e = error as? CatalogError else { return false }
            return e.kind == .cannotOpen && !e.description.contains("secret") && e.description.contains("postgres://USER")
        }
    }

    @Test func thePasswordComesFromTheURLThenPGPASSWORDThenThePasswordFile() throws {
        let dir = TempTree("pgpass")
        let file = dir.root + "/pgpass"
        try """
            # comment
            other:5432:*:ann:wrong
            h:5432:archive:ann:from\\:file\\\\
            *:*:*:*:fallback
            """.write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let e = ["HOME": dir.root, "PGPASSFILE": file, "USER": "obs"]
        #expect(try PostgresURL("postgres://ann:inurl@h/archive", environment: e).resolvedPassword(environment: e.merging(["PGPASSWORD": "env"]) { $1 }) == "inurl")
        #expect(try PostgresURL("postgres://ann@h/archive", environment: e).resolvedPassword(environment: e.merging(["PGPASSWORD": "env"]) { $1 }) == "env")
        #expect(try PostgresURL("postgres://ann@h/archive", environment: e).resolvedPassword(environment: e) == "from:file\\")
        #expect(try PostgresURL("postgres://bob@h:7/db", environment: e).resolvedPassword(environment: e) == "fallback")
        // A file its group or others may read is ignored, as libpq ignores it.
        chmod(file, 0o640)
        #expect(try PostgresURL("postgres://ann@h/archive", environment: e).resolvedPassword(environment: e) == nil)
        // ~/.pgpass when PGPASSFILE is not set.
        try "h:5432:archive:ann:home".write(toFile: dir.root + "/.pgpass", atomically: true, encoding: .utf8)
        chmod(dir.root + "/.pgpass", 0o600)
        let home = ["HOME": dir.root, "USER": "obs"]
        #expect(try PostgresURL("postgres://ann@h/archive", environment: home).resolvedPassword(environment: home) == "home")
    }
}
