import ArgumentParser
import Foundation
import TidemarkCore
import TidemarkPostgres

/// `tidemark-bench hold-lock`: a child for the run-lock tests — takes a run lock on a
/// PostgreSQL catalog, says so by creating `--flag`, and holds it until killed (or for
/// `--seconds`), so a test can kill it with SIGKILL and see the server free the lock.
struct HoldLock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold-lock", abstract: "Hold a run lock until killed (for the tests).", shouldDisplay: false)

    @Option(help: "The catalog (a postgres:// URL).") var db: String
    @Option(help: "The context to lock; without it, the policy-run lock.") var context: String?
    @Option(help: "The holder's name, as refused runs print it.") var holder = "scan"
    @Option(help: "Created once the lock is held.") var flag: String
    @Option(help: "How long to hold it.") var seconds = 120.0

    func run() throws {
        let catalog = try PostgresCatalog(url: db)
        let lock = try catalog.lock(context.map(LockRegion.context) ?? .policyRuns, holder: holder)
        guard FileManager.default.createFile(atPath: flag, contents: nil) else { throw BenchError("cannot create \(flag)") }
        Thread.sleep(forTimeInterval: seconds)
        withExtendedLifetime(lock) {}
    }
}
