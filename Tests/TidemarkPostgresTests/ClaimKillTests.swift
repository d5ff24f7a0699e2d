import Foundation
import Testing
import TestSupport
import TidemarkCore

/// The issue's kill -9 test of the claim primitive: worker processes on two "hosts" (two
/// groups of processes; a host dies by losing all of its workers at once) work one queue
/// of 300 items with short leases, killed with SIGKILL at random moments and restarted. At
/// the end every item is done exactly once: its effect recorded once, none lost, none
/// doubled. On PostgreSQL (the hosts' case) and on SQLite (one host's processes).
@Suite(.serialized) struct ClaimKillTests {
    @Test(arguments: StoreKind.allCases) func workersKilledAtRandomDoEveryItemExactlyOnce(_ kind: StoreKind) throws {
        guard case let (store, db)? = try kind.fresh() else { return }
        let n = 300
        _ = try store.enqueue((0..<n).map { WorkItem(key: String(format: "item-%03d", $0)) }, queue: "test")
        var rng = FuzzSeed.generator("claims kill " + kind.rawValue)
        let seed = "seed \(FuzzSeed.value) (TIDEMARK_FUZZ_SEED=\(FuzzSeed.value) replays the choices)"
        print("claims kill test on \(kind): \(seed)")
        let logs = temporaryDirectory("claims-workers")
        var hosts: [[ClaimsWorkerProcess?]] = [[nil, nil], [nil, nil]]
        var started = 0, kills = 0
        func start(_ h: Int, _ s: Int) throws {
            started += 1
            hosts[h][s] = try ClaimsWorkerProcess(db: db, name: "host\(h)-w\(s)-\(started)", seed: rng.next(), logs: logs)
        }
        for h in 0..<2 { for s in 0..<2 { try start(h, s) } }
        let killing = Date().addingTimeInterval(8), deadline = Date().addingTimeInterval(45)
        while Date() < deadline {
            usleep(UInt32(50_000 + rng.next() % 250_000))
            if Date() < killing {
                let h = Int(rng.next() % 2)
                let victims = rng.next() % 5 == 0 ? [0, 1] : [Int(rng.next() % 2)]  // now and then the whole host
                for s in victims where hosts[h][s]?.kill() == true { kills += 1 }
            }
            // The dead come back; those that saw the queue finished stay gone.
            var running = 0
            for h in 0..<2 {
                for s in 0..<2 {
                    if let w = hosts[h][s], w.process.isRunning || w.finished { running += w.process.isRunning ? 1 : 0; continue }
                    if let w = hosts[h][s], let failure = w.failure { Issue.record("worker \(w.name) failed: \(failure); \(seed)") }
                    try start(h, s)
                    running += 1
                }
            }
            if running == 0 { break }
        }
        for w in hosts.joined().compactMap({ $0 }) where w.process.isRunning {
            Issue.record("worker \(w.name) still running at the deadline; \(seed)")
            _ = w.kill()
        }

        let items = try store.workItems(queue: "test")
        #expect(items.count == n && items.allSatisfy { $0.state == .done },
                "not done: \(items.filter { $0.state != .done }.map { "\($0.item.key) \($0.state)" }.prefix(10)); \(seed)")
        var effects: [String: Int] = [:]
        for e in try store.workItems(queue: "test-effects") { effects[String(e.item.key.prefix { $0 != " " }), default: 0] += 1 }
        let doubled = effects.filter { $0.value > 1 }.keys.sorted(), lost = items.map(\.item.key).filter { effects[$0] == nil }
        #expect(doubled.isEmpty && lost.isEmpty && effects.count == n, "doubled \(doubled.prefix(10)), lost \(lost.prefix(10)); \(seed)")
        // The test did what it says: workers died holding items, and items were handed on.
        let handedOn = items.filter { $0.attempts > 1 }.count
        #expect(kills >= 5 && handedOn > 0, "\(kills) kills, \(handedOn) items handed on; \(seed)")
        let lostLeases = ClaimsWorkerProcess.count("lost ", in: logs)
        print("claims kill test on \(kind): \(kills) kills, \(started) workers started, \(handedOn) items claimed more than once, \(lostLeases) completions refused for a lost lease")
    }
}

/// `tidemark-bench claims-worker` in the background, its output in `logs`.
final class ClaimsWorkerProcess {
    let process = Process()
    let name: String
    private let err: String

    init(db: String, name: String, seed: UInt64, logs: String) throws {
        self.name = name
        err = logs + "/" + name + ".err"
        let out = logs + "/" + name + ".out"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.executableURL = URL(fileURLWithPath: productsDirectory + "/tidemark-bench")
        process.arguments = ["claims-worker", "--db", db, "--worker", name, "--seed", String(seed), "--lease-ms", "300"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
    }

    /// SIGKILL; true when it was still running.
    func kill() -> Bool {
        guard process.isRunning else { return false }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return true
    }

    /// Ended on its own, having seen every item finished.
    var finished: Bool { !process.isRunning && process.terminationReason == .exit && process.terminationStatus == 0 }

    /// Ended on its own with an error: what it said.
    var failure: String? {
        guard !process.isRunning, process.terminationReason == .exit, process.terminationStatus != 0 else { return nil }
        return "exit \(process.terminationStatus): " + (String(data: FileManager.default.contents(atPath: err) ?? Data(), encoding: .utf8) ?? "")
    }

    /// Lines starting with `prefix` in every worker's output.
    static func count(_ prefix: String, in logs: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
        return names.filter { $0.hasSuffix(".out") }.reduce(0) { n, name in
            let text = String(decoding: FileManager.default.contents(atPath: logs + "/" + name) ?? Data(), as: UTF8.self)
            return n + text.split(separator: "\n").filter { $0.hasPrefix(prefix) }.count
        }
    }
}
