import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// What the catalog stores and shows: each time source under its own code, named in
/// file_view; catalogs written by a newer Tidemark refused.
@Suite struct CatalogSchemaTests {
    let tree = TempTree("schema")
    let catalog: SQLiteCatalog

    init() throws { catalog = try temporaryCatalog() }

    /// One NIDAS archive (a real sample) under a rule whose time source is nidas-samples.
    func scanSample() throws {
        let sample = try Data(contentsOf: SampleFiles.root.appendingPathComponent("nidas/centnet_20120601_000000.dat"))
        tree.write("raw/centnet_20120601_000000.dat", contents: [UInt8](sample))
        let d = try ContextDefinition(file: "t.toml", text: """
            [[rule]]
            match = "raw/centnet_%Y%m%d_%H%M%S.dat"
            category = "raw"
            time = ["nidas-samples", "name"]
            """, defaultName: "t")
        _ = try Scanner(catalog: catalog, definition: d, roots: [tree.rootBytes], resolver: .standard).run()
    }

    func viewSource() throws -> String? {
        try catalog.pool.read { db in try String.fetchOne(db, sql: "SELECT source FROM file_view") }
    }

    @Test func nidasSamplesIsStoredAndShownAsItself() throws {
        try scanSample()
        let e = try #require(try catalog.find(FindQuery()).first)
        #expect(e.source == .nidasSamples && e.coverage?.start == Instant(microseconds: 1_338_508_800_053_105))
        #expect(try viewSource() == "nidas-samples")
    }

    @Test func rowsStoredBeforeReadBackAsNidas() throws {
        try scanSample()
        try catalog.pool.write { db in try db.execute(sql: "UPDATE files SET source = 4") }
        #expect(try catalog.find(FindQuery()).first?.source == .nidas)
        #expect(try viewSource() == "nidas")
    }

    @Test func fileViewNamesEverySource() throws {
        try scanSample()
        for source in TimeSource.allCases {
            try catalog.pool.write { db in try db.execute(sql: "UPDATE files SET source = ?", arguments: [source.code]) }
            #expect(try viewSource() == source.rawValue)
            #expect(TimeSource(code: source.code) == source)
        }
    }

    @Test(arguments: ["INSERT INTO grdb_migrations VALUES ('v99: from a newer Tidemark')", "PRAGMA user_version = 999"])
    func aCatalogFromANewerTidemarkIsRefused(_ change: String) throws {
        try catalog.pool.write { db in try db.execute(sql: change) }
        for readOnly in [false, true] {
            do {
                _ = try SQLiteCatalog(path: catalog.path, create: false, readOnly: readOnly)
                Issue.record("opened (readOnly: \(readOnly)) after \(change)")
            } catch {
                #expect(error.message.contains("written by a newer Tidemark") && error.message.contains("upgrade"), "\(error)")
            }
        }
    }

    @Test func aCatalogRecordsTheSchemaVersionItWasWrittenWith() throws {
        let version = try catalog.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
        #expect(version == Schema.migrator.migrations.count)
    }
}
