import Foundation
import GRDB
import Testing
@testable import TidemarkCore
import TestSupport

/// Catalog errors keep their kind and the driver's error, so callers decide on the kind
/// (retry, exit code) and never on an adapter's result codes.
@Suite struct CatalogErrorKindTests {
    func openError(_ path: String, create: Bool = false, readOnly: Bool = false) -> CatalogError? {
        do { _ = try SQLiteCatalog(path: path, create: create, readOnly: readOnly); return nil } catch { return error }
    }

    @Test func aNewerSchemaIsItsOwnKind() throws {
        let catalog = try temporaryCatalog()
        try catalog.pool.write { db in try db.execute(sql: "PRAGMA user_version = 999") }
        #expect(openError(catalog.path)?.kind == .newerSchema)
    }

    @Test func aFileThatIsNoCatalogIsCorruptWithSQLitesErrorAsCause() throws {
        let tree = TempTree("kinds")
        tree.write("junk.sqlite", contents: Array(repeating: UInt8(ascii: "x"), count: 4096))
        let e = try #require(openError(tree.root + "/junk.sqlite"))
        #expect(e.kind == .corrupt, "\(e)")
        #expect((e.cause as? DatabaseError)?.resultCode.primaryResultCode == .SQLITE_NOTADB, "\(String(describing: e.cause))")
    }

    @Test func aDirectoryOrNoCatalogCannotBeOpened() throws {
        let tree = TempTree("kinds")
        #expect(openError(tree.root)?.kind == .cannotOpen)
        #expect(openError(tree.root + "/none.sqlite")?.kind == .cannotOpen)
    }

    @Test func onlyRaceLikeKindsAreTransient() {
        #expect(CatalogError.Kind.allCases.filter(\.isTransient) == [.busy, .connectionLost, .serializationFailure])
        #expect(FaultCode.allCases.filter(\.isTransient) == [.system, .timeout])
    }
}
