import Foundation
import Testing
import TestSupport
import TidemarkCore
import TidemarkPostgres

/// The claim primitive, through the `ClaimStore` protocol, on both stores: an item goes to
/// one live claimer at a time, a lapsed lease hands it on, and only the latest claimer can
/// finish it — its effect and its completion together.
@Suite struct ClaimStoreTests {
    @Test(arguments: StoreKind.allCases) func queuingAnItemTwiceAddsItOnce(_ kind: StoreKind) throws {
        guard case let (store, _)? = try kind.fresh() else { return }
        #expect(try store.enqueue(["a", "b", "c"].map { WorkItem(key: $0, payload: "p-" + $0) }, queue: "copy") == 3)
        #expect(try store.enqueue([WorkItem(key: "b"), WorkItem(key: "d"), WorkItem(key: "d")], queue: "copy") == 1)
        #expect(try store.enqueue([WorkItem(key: "a")], queue: "update") == 1)
        let items = try store.workItems(queue: "copy")
        #expect(items.map(\.item.key) == ["a", "b", "c", "d"] && items.allSatisfy { $0.state == .queued && $0.attempts == 0 })
        #expect(items.map(\.item.payload) == ["p-a", "p-b", "p-c", nil])
    }

    @Test(arguments: StoreKind.allCases) func anItemGoesToNoOneElseWhileItsLeaseRuns(_ kind: StoreKind) throws {
        guard case let (store, db)? = try kind.fresh() else { return }
        let other = try kind.open(db)
        _ = try store.enqueue((1...5).map { WorkItem(key: "i\($0)") }, queue: "q")
        let first = try store.claim(queue: "q", worker: "w1", lease: 60_000_000, limit: 2)
        #expect(first.map(\.item.key) == ["i1", "i2"] && first.allSatisfy { $0.attempts == 1 && $0.worker == "w1" })
        let second = try other.claim(queue: "q", worker: "w2", lease: 60_000_000, limit: 10)
        #expect(second.map(\.item.key) == ["i3", "i4", "i5"])
        #expect(try other.claim(queue: "q", worker: "w3", lease: 60_000_000, limit: 10).isEmpty)
        #expect(try store.claim(queue: "other", worker: "w3", lease: 60_000_000, limit: 10).isEmpty)
        let items = try store.workItems(queue: "q")
        #expect(items.map { $0.claimer ?? "-" } == ["w1", "w1", "w2", "w2", "w2"] && items.allSatisfy { $0.state == .claimed })
    }

    @Test(arguments: StoreKind.allCases) func claimersAtOnceNeverShareAnItem(_ kind: StoreKind) throws {
        guard case let (store, db)? = try kind.fresh() else { return }
        _ = try store.enqueue((0..<400).map { WorkItem(key: String(format: "i%03d", $0)) }, queue: "q")
        let workers = try (0..<8).map { _ in try kind.open(db) }
        let taken = UnsafeSendableBox<[Int64]>([])
        let failures = UnsafeSendableBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: workers.count) { w in
            do {
                while true {
                    let claims = try workers[w].claim(queue: "q", worker: "w\(w)", lease: 60_000_000, limit: 2)
                    if claims.isEmpty { break }
                    taken.lock.withLock { taken.value += claims.map(\.id) }
                }
            } catch {
                failures.lock.withLock { failures.value.append("\(error)") }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value)")
        #expect(taken.value.count == 400 && Set(taken.value).count == 400, "\(taken.value.count) claims of \(Set(taken.value).count) items")
    }

    @Test(arguments: StoreKind.allCases) func aLapsedLeaseHandsTheItemOnAndTheOldClaimCanNoLongerActOnIt(_ kind: StoreKind) throws {
        guard case let (store, db)? = try kind.fresh() else { return }
        let other = try kind.open(db)
        _ = try store.enqueue([WorkItem(key: "a")], queue: "q")
        let old = try #require(try store.claim(queue: "q", worker: "w1", lease: 200_000, limit: 1).first)
        #expect(try other.claim(queue: "q", worker: "w2", lease: 200_000, limit: 1).isEmpty)
        usleep(350_000)
        let new = try #require(try other.claim(queue: "q", worker: "w2", lease: 60_000_000, limit: 1).first)
        #expect(new.id == old.id && new.attempts == 2 && new.token != old.token)
        for act in [{ try store.complete(old, outcome: "late") { tx throws(CatalogError) in try tx.enqueue([WorkItem(key: "effect of w1")], queue: "effects") } },
                    { _ = try store.renew(old, lease: 60_000_000) }, { try store.release(old, reason: "late") }, { try store.fail(old, reason: "late") }] {
            #expect { try act() } throws: { error in
                guard let e = error as? CatalogError else { return false }
                return e.kind == .leaseLost && e.description.contains("'a' in queue 'q' by w1 was lost")
            }
        }
        #expect(try store.workItems(queue: "effects").isEmpty, "the lost claim's effect was kept")
        try other.complete(new, outcome: "copied") { tx throws(CatalogError) in try tx.enqueue([WorkItem(key: "effect of w2")], queue: "effects") }
        #expect(try store.workItems(queue: "effects").map(\.item.key) == ["effect of w2"])
        let item = try #require(try store.workItems(queue: "q").first)
        #expect(item.state == .done && item.claimer == "w2" && item.outcome == "copied" && item.finished != nil && item.leaseUntil == nil)
        #expect(try store.claim(queue: "q", worker: "w3", lease: 1_000, limit: 1).isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func anEffectThatFailsLeavesTheItemClaimed(_ kind: StoreKind) throws {
        guard case let (store, _)? = try kind.fresh() else { return }
        _ = try store.enqueue([WorkItem(key: "a")], queue: "q")
        let claim = try #require(try store.claim(queue: "q", worker: "w1", lease: 60_000_000, limit: 1).first)
        #expect(throws: CatalogError.self) {
            try store.complete(claim, outcome: nil) { tx throws(CatalogError) in
                try tx.enqueue([WorkItem(key: "half")], queue: "effects")
                throw CatalogError(path: "test", message: "the effect failed")
            }
        }
        #expect(try store.workItems(queue: "effects").isEmpty)
        #expect(try store.workItems(queue: "q").first?.state == .claimed)
        try store.complete(claim)
        #expect(try store.workItems(queue: "q").first?.state == .done)
    }

    @Test(arguments: StoreKind.allCases) func renewingKeepsTheItemPastItsFirstLease(_ kind: StoreKind) throws {
        guard case let (store, db)? = try kind.fresh() else { return }
        let other = try kind.open(db)
        _ = try store.enqueue([WorkItem(key: "a")], queue: "q")
        var claim = try #require(try store.claim(queue: "q", worker: "w1", lease: 300_000, limit: 1).first)
        usleep(200_000)
        let before = claim.leaseUntil
        claim = try store.renew(claim, lease: 300_000)
        #expect(claim.leaseUntil > before)
        usleep(200_000)  // past the first lease, within the renewed one
        #expect(try other.claim(queue: "q", worker: "w2", lease: 300_000, limit: 1).isEmpty)
        try store.complete(claim)
    }

    @Test(arguments: StoreKind.allCases) func releaseRequeuesAndFailParksForAPerson(_ kind: StoreKind) throws {
        guard case let (store, _)? = try kind.fresh() else { return }
        _ = try store.enqueue([WorkItem(key: "a"), WorkItem(key: "b")], queue: "q")
        let claims = try store.claim(queue: "q", worker: "w1", lease: 60_000_000, limit: 2)
        try store.release(claims[0], reason: "destination full")
        try store.fail(claims[1], reason: "fault 5: data")
        let items = try store.workItems(queue: "q")
        #expect(items[0].state == .queued && items[0].outcome == "destination full" && items[0].leaseUntil == nil)
        #expect(items[1].state == .failed && items[1].outcome == "fault 5: data" && items[1].finished != nil)
        let again = try store.claim(queue: "q", worker: "w2", lease: 60_000_000, limit: 2)
        #expect(again.map(\.item.key) == ["a"] && again.first?.attempts == 2)
        #expect { try store.complete(claims[1]) } throws: { ($0 as? CatalogError)?.kind == .leaseLost }
    }

    @Test(arguments: StoreKind.allCases) func aLeaseMustBePositive(_ kind: StoreKind) throws {
        guard case let (store, _)? = try kind.fresh() else { return }
        #expect { _ = try store.claim(queue: "q", worker: "w", lease: 0, limit: 1) } throws: {
            ($0 as? CatalogError)?.description.contains("lease must be positive") == true
        }
        #expect(try store.claim(queue: "q", worker: "w", lease: 1_000, limit: 0).isEmpty)
    }
}

/// The stores the store-level suites run on.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A fresh, empty catalog and what names it to another connection or process (`--db`);
    /// nil when there is no PostgreSQL server (a recorded failure under CI).
    func fresh() throws -> (any ClaimStore, String)? {
        switch self {
        case .sqlite:
            let catalog = try temporaryCatalog()
            return (catalog, catalog.path)
        case .postgres:
            guard let url = try freshPostgresDatabase() else { return nil }
            return (try PostgresCatalog(url: url), url)
        }
    }

    /// Another connection to the catalog `db`.
    func open(_ db: String) throws -> any ClaimStore {
        switch self {
        case .sqlite: try SQLiteCatalog(path: db, create: false)
        case .postgres: try PostgresCatalog(url: db)
        }
    }
}
