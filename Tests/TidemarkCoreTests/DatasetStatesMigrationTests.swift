import Foundation
import GRDB
import Testing
@testable import TidemarkCore
import TestSupport

/// v11b on a catalog that already has datasets: they keep their rows and are in their
/// category's initial state (stored state NULL, since when unknown); new ones are dated.
@Suite struct DatasetStatesMigrationTests {
    @Test func datasetsCataloguedBeforeV11bAreInTheirInitialState() throws {
        let path = temporaryDirectory("v10-catalog") + "/c.db"
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v10: work claims")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO contexts (id, name) VALUES (1, 'ipp/ps1');
                INSERT INTO datasets (context_id, category, name, files, bytes) VALUES (1, 'minidvodb', 'minidvodbs/g/db1', 3, 30);
                """)
        }
        try queue.close()
        let catalog = try SQLiteCatalog(path: path, create: false)
        let old = try #require(try catalog.datasets(DatasetFilter()).first)
        #expect(old.name == "minidvodbs/g/db1" && old.files == 3 && old.storedState == nil && old.stateSince == nil)
        let machine = DatasetStateMachine(categories: ["minidvodb"], states: ["new", "merged"], initial: "new",
                                          transitions: [.init(from: "new", to: "merged")])
        #expect(DatasetStates.state(of: old, machine: machine) == "new")
        let moved = try DatasetStates.move(old, to: "merged", from: "new", machine: machine, store: catalog, by: "test", at: Instant(seconds: 100))
        #expect(moved.from == "new" && moved.to == "merged")
        let now = try #require(try catalog.datasets(DatasetFilter()).first)
        #expect(now.storedState == "merged" && now.stateSince == Instant(seconds: 100))
        // A dataset first catalogued now is dated when it is.
        try catalog.pool.write { db in
            try db.execute(sql: "INSERT INTO datasets (context_id, category, name) VALUES (1, 'minidvodb', 'minidvodbs/g/db2')")
        }
        let fresh = try #require(try catalog.datasets(DatasetFilter(name: "minidvodbs/g/db2")).first)
        let since = try #require(fresh.stateSince)
        #expect(abs(since.microseconds - Instant(secondsSince1970: Date().timeIntervalSince1970).microseconds) < 60_000_000)
    }
}
