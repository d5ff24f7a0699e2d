import ArgumentParser
import Foundation
import TidemarkCore
import TidemarkPostgres

/// `tidemark-bench claims-worker`: a worker of the claim tests — claims items of a queue,
/// works on each for a while (now and then longer than its lease, renewing it or not), and
/// completes it with its effect: one item in the effects queue naming the item, the worker
/// and the claim's token. It says `done KEY` or `lost KEY` per item, and exits once every
/// item of the queue is done or failed. The tests kill it with SIGKILL at random moments.
struct ClaimsWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims-worker", abstract: "Work a test queue until it is done (for the tests).", shouldDisplay: false)

    @Option(help: "The catalog: an SQLite file or a postgres:// URL.") var db: String
    @Option(help: "The worker's name.") var worker: String
    @Option(help: "The queue to work.") var queue = "test"
    @Option(help: "Where each completion records its effect.") var effects = "test-effects"
    @Option(help: "The lease, in milliseconds.") var leaseMs: Int64 = 300
    @Option(help: "Items claimed at once.") var batch = 2
    @Option(help: "Seeds how long each item takes.") var seed: UInt64 = 1

    func run() throws {
        let store: any ClaimStore = db.hasPrefix("postgres://") || db.hasPrefix("postgresql://")
            ? try PostgresCatalog(url: db) : try SQLiteCatalog(path: db, create: false)
        var rng = Xorshift(seed: seed)
        let lease = leaseMs * 1000
        while true {
            let claims = try store.claim(queue: queue, worker: worker, lease: lease, limit: batch)
            if claims.isEmpty {
                if try store.workItems(queue: queue).allSatisfy({ $0.state == .done || $0.state == .failed }) { return }
                usleep(30_000)
                continue
            }
            for claim in claims {
                do {
                    try work(claim, store: store, lease: lease, rng: &rng)
                    say("done \(claim.item.key)")
                } catch {
                    guard error.kind == .leaseLost else { throw error }
                    say("lost \(claim.item.key)")
                }
            }
        }
    }

    /// Works on one item (mostly quickly; some outlive the lease, half of them renewing it in
    /// time) and completes it with its effect.
    private func work(_ claim: Claim, store: any ClaimStore, lease: Int64, rng: inout Xorshift) throws(CatalogError) {
        var claim = claim
        switch rng.next() % 100 {
        case 0..<5: usleep(UInt32(lease * 3 / 2))
        case 5..<10:
            usleep(UInt32(lease * 2 / 3))
            claim = try store.renew(claim, lease: lease)
            usleep(UInt32(lease * 2 / 3))
        default: usleep(UInt32(rng.next() % 20_000))
        }
        let effect = WorkItem(key: "\(claim.item.key) by \(claim.worker) token \(claim.token)")
        try store.complete(claim, outcome: "done by \(worker)") { tx throws(CatalogError) in
            try tx.enqueue([effect], queue: effects)
        }
    }

    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// A small seeded generator (xorshift64*).
struct Xorshift: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
