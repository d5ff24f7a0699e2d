import Foundation
import Testing
import TestSupport
import TidemarkCore

/// `tidemark catalog copy`: SQLite → PostgreSQL → SQLite gives back every table row for
/// row; a destination that holds data, or a source at a schema this build does not know,
/// is refused and nothing is written.
@Suite struct CatalogCopyTests {
    let catalogs = packageRoot + "/catalogs"

    /// Every table's rows, each as sqlite3 quotes it, sorted: independent of row ids the
    /// schema does not name.
    func tables(_ db: String) throws -> [String: [String]] {
        let names = try sql(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> 'grdb_migrations'")
            .split(separator: "\n").map(String.init)
        var out: [String: [String]] = [:]
        for name in names {
            let columns = Int(try sql(db, "SELECT count(*) FROM pragma_table_info('\(name)')"))!
            let rows = try sql(db, "SELECT * FROM \"\(name)\" ORDER BY \((1...columns).map(String.init).joined(separator: ", "))", options: ["-quote"])
            out[name] = rows.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        return out
    }

    @Test func sqliteToPostgresAndBackGivesEveryRowBack() throws {
        guard let url = try freshPostgresDatabase() else { return }
        let (db, _) = try busyCatalog()
        let original = try tables(db)
        let empty = Set(original.filter { $0.value == [""] }.keys)
        #expect(empty.isSubset(of: ["lock_owners", "reading_suspects", "scan_errors"]), "tables with no rows to copy: \(empty.sorted())")

        let there = try tidemark(["catalog", "copy", "--from", db, "--to", url, "--json"])
        #expect(there.status == 0, "\(there.stderr)")
        let report = try #require(try there.json() as? [String: Any])
        let counted = Dictionary(uniqueKeysWithValues: (report["tables"] as? [[String: Any]] ?? []).map { ($0["table"] as! String, $0["rows"] as! Int) })
        #expect(Set(counted.keys) == Set(original.keys))
        for (name, rows) in original { #expect(counted[name] == (rows == [""] ? 0 : rows.count), "\(name)") }
        #expect(!(report["to"] as? String ?? "").contains(try #require(url.split(separator: ":")[2].split(separator: "@").first)), "the password was printed")
        // The odd name came through byte for byte, and new rows get ids past the copied ones.
        #expect(try psql(url, "SELECT count(*) FROM files WHERE name = '\\x6f6464096e615c6d650aff2e747874'::bytea") == "1")
        #expect(try psql(url, "SELECT nextval(pg_get_serial_sequence('files', 'id')) > (SELECT max(id) FROM files)") == "t")
        #expect(try psql(url, "SELECT nextval(pg_get_serial_sequence('journal', 'id')) > (SELECT max(id) FROM journal)") == "t")

        let back = temporaryDirectory("copy-back") + "/back.db"
        let home = try tidemark(["catalog", "copy", "--from", url, "--to", back])
        #expect(home.status == 0, "\(home.stderr)")
        #expect(home.stdout.contains("files") && home.stdout.contains("every table's row count checked"), "\(home.stdout)")
        let copied = try tables(back)
        #expect(Set(copied.keys) == Set(original.keys))
        for (name, rows) in original { #expect(copied[name] == rows, "table \(name) differs") }
        // The copy answers as the original does.
        let find = ["find", "--json", "--state", "any"]
        #expect(try tidemark(find + ["--db", back]).stdout == (try tidemark(find + ["--db", db]).stdout))
    }

    @Test func aDestinationThatHoldsDataIsRefusedAndKeptAsItWas() throws {
        let s = try ScannedIsfs(days: 1)
        let other = try ScannedIsfs(days: 1)
        let before = try tables(other.db)
        let r = try tidemark(["catalog", "copy", "--from", s.db, "--to", other.db])
        #expect(r.status == 1 && r.stderr.contains("already holds data") && r.stderr.contains("new, empty catalog"), "\(r.stderr)")
        #expect(try tables(other.db) == before)
        guard let url = try freshPostgresDatabase() else { return }
        #expect(try tidemark(["catalog", "copy", "--from", s.db, "--to", url]).status == 0)
        let files = try psql(url, "SELECT count(*) FROM files")
        let again = try tidemark(["catalog", "copy", "--from", other.db, "--to", url])
        #expect(again.status == 1 && again.stderr.contains("already holds data"), "\(again.stderr)")
        #expect(try psql(url, "SELECT count(*) FROM files") == files)
    }

    @Test func aSourceAtASchemaThisBuildDoesNotKnowIsRefusedAndNothingIsCreated() throws {
        let s = try ScannedIsfs(days: 1)
        _ = try sql(s.db, "INSERT INTO grdb_migrations VALUES ('v99: from a newer Tidemark')")
        let to = temporaryDirectory("copy-newer") + "/new.db"
        let r = try tidemark(["catalog", "copy", "--from", s.db, "--to", to])
        #expect(r.status == 1 && r.stderr.contains("v99: from a newer Tidemark") && r.stderr.contains("upgrade Tidemark"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: to))
        let same = try tidemark(["catalog", "copy", "--from", to, "--to", to])
        #expect(same.status == 1 && same.stderr.contains("both the source and the destination"), "\(same.stderr)")
    }
}
