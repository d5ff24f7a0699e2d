import Testing
import TidemarkCore

/// `--db` text told apart: URLs name a server, the rest is a file; passwords never shown.
@Suite struct CatalogLocationTests {
    @Test func postgresURLsAreServersAndTheRestFiles() {
        #expect(CatalogLocation("postgres://u@h/db") == .postgres(url: "postgres://u@h/db"))
        #expect(CatalogLocation("PostgreSQL://h/db") == .postgres(url: "PostgreSQL://h/db"))
        #expect(CatalogLocation("postgres:/x") == .sqlite(path: "postgres:/x"))
        #expect(CatalogLocation("cat.sqlite") == .sqlite(path: "cat.sqlite"))
        #expect(CatalogLocation("/data/postgres://x") == .sqlite(path: "/data/postgres://x"))
    }

    @Test(arguments: [
        ("postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db"),
        ("postgres://u:p@w:d@h/db", "postgres://u:***@h/db"),
        ("postgres://u@h/db", "postgres://u@h/db"),
        ("postgres://h/db?sslmode=require&password=pw", "postgres://h/db?sslmode=require&password=***"),
        ("postgres://u:pw@h", "postgres://u:***@h"),
    ])
    func passwordsAreMasked(_ url: String, _ masked: String) {
        #expect(CatalogLocation(url).masked == masked)
    }
}
