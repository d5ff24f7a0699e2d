import Foundation
import Testing
import TestSupport
import TidemarkCore
import TidemarkPostgres

/// "v15: files' references kept by the writer": PostgreSQL no longer checks the references of
/// every file row it is given (as SQLite never did), so the tests' own check must find a file
/// whose directory, stream, dataset or removing run is not there — on both stores.
@Suite struct FileReferencesTests {
    static let definition = """
        context = "test/refs"
        [[rule]]
        match = "minidvodbs/{group}/{db}/**"
        category = "minidvodb"
        stream = "{group}"
        dataset = "minidvodbs/{group}/{db}"
        """

    @Test(arguments: TestStore.allCases) func aFileWhoseParentsAreNotThereIsFound(store: TestStore) throws {
        guard let location = try store.freshLocation() else { return }
        let tree = TempTree("refs")
        tree.write("minidvodbs/g1/db1/cpt.fits", size: 7, mtime: 1_500_000_000)
        tree.write("minidvodbs/g1/db2/cps.fits", size: 8, mtime: 1_500_000_100)
        let catalog: any ScanStore = store == .sqlite ? try SQLiteCatalog(path: location) : try PostgresScanStore(url: location)
        let d = try ContextDefinition(file: "refs.toml", text: Self.definition, defaultName: "test/refs")
        _ = try Scanner(catalog: catalog, definition: d, roots: [tree.rootBytes]).run(now: Instant(seconds: 1_700_000_000))
        (catalog as? PostgresScanStore)?.catalog.close()
        #expect(try store.danglingReferences(location) == "")

        // By hand, as no writer of Tidemark does: a file that names a directory, stream,
        // dataset and policy run none of which exists.
        try store.sql(location, """
            INSERT INTO files (dir_id, name, size, mtime, inode, device, stream_id, dataset_id, source, gone_run)
            SELECT dir_id + 1000, name, size, mtime, inode, device, stream_id + 1000, dataset_id + 1000, source, 1000
            FROM files WHERE id = (SELECT min(id) FROM files)
            """)
        let orphan = try store.sql(location, "SELECT max(id) FROM files")
        let found = try store.danglingReferences(location).split(separator: "\n").map(String.init)
        for parent in ["dirs", "streams", "datasets", "policy_runs"] {
            #expect(found.contains { $0.hasPrefix("files|\(orphan)|\(parent)") }, "\(parent): \(found)")
        }
        #expect(found.count == 4, "\(found)")
    }

    /// The references PostgreSQL still checks are every one but those of `files`.
    @Test func onlyTheFilesReferencesWentOnPostgreSQL() throws {
        guard let url = try freshPostgresDatabase() else { return }
        try PostgresCatalog(url: url).close()
        #expect(try psql(url, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'files'::regclass") == "0")
        let kept = try psql(url, "SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY conname").split(separator: "\n")
        #expect(kept.contains("dirs_root_id_fkey") && kept.contains("journal_file_id_fkey") && kept.contains("request_files_file_id_fkey"),
                "\(kept)")
    }
}
