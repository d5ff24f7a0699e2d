import Foundation
import Testing
import TestSupport
import TidemarkCore
import TidemarkPostgres

/// The run lock on PostgreSQL: a session's advisory lock, one holder per region, named to
/// a refused run, freed by its release and by its holder's death.
@Suite struct PostgresRunLockTests {
    @Test func aSecondLockOnTheSameRegionIsRefusedNamingTheHolder() throws {
        guard let url = try freshPostgresDatabase() else { return }
        let catalog = try PostgresCatalog(url: url)
        let held = try catalog.lock(.context("cam"), holder: "scan")
        // From another catalog connection, and from the same one: each lock is its own session.
        for other in [try PostgresCatalog(url: url), catalog] {
            #expect {
                _ = try other.lock(.context("cam"), holder: "policy run nightly")
            } throws: { error in
                guard case .held(let c) = error as? CatalogLockError, let h = c.holder else { return false }
                return c.region == .context("cam") && h.holder == "scan" && h.pid == Int64(getpid()) && h.host == LockHolder.hostName
                    && c.catalog == catalog.url.masked
            }
        }
        guard case .held(let h?) = try catalog.probe(.context("cam")) else { Issue.record("the held lock is not seen"); return }
        #expect(h.holder == "scan")
        withExtendedLifetime(held) {}
    }

    @Test func anotherRegionIsFree() throws {
        guard let url = try freshPostgresDatabase() else { return }
        let catalog = try PostgresCatalog(url: url)
        let held = try catalog.lock(.context("cam"), holder: "scan")
        let other = try catalog.lock(.context("ustar"), holder: "scan")
        let runs = try catalog.lock(.policyRuns, holder: "delete")
        guard case .free(nil) = try catalog.probe(.context("perdigao")) else { Issue.record("an unlocked region is not free"); return }
        withExtendedLifetime((held, other, runs)) {}
    }

    @Test func releasingFreesIt() throws {
        guard let url = try freshPostgresDatabase() else { return }
        let catalog = try PostgresCatalog(url: url)
        var held: (any RunLock)? = try catalog.lock(.policyRuns, holder: "policy run nightly")
        #expect(held != nil)
        held = nil
        // Let go, not died: free, and no holder's record left behind.
        guard case .free(nil) = try catalog.probe(.policyRuns) else { Issue.record("a released lock is not free"); return }
        _ = try PostgresCatalog(url: url).lock(.policyRuns, holder: "delete")
        #expect(try psql(url, "SELECT count(*) FROM lock_owners") == "0")
    }

    @Test func aHolderKilledWithSIGKILLFreesTheLock() throws {
        guard let url = try freshPostgresDatabase() else { return }
        let catalog = try PostgresCatalog(url: url)
        let child = try LockHolderChild(url: url, context: "cam")
        defer { child.kill() }
        guard case .held(let h?) = try catalog.probe(.context("cam")) else { Issue.record("the child's lock is not seen"); return }
        #expect(h.holder == "scan" && h.pid == Int64(child.pid))
        #expect(throws: CatalogLockError.self) { _ = try catalog.lock(.context("cam"), holder: "scan") }
        child.kill()
        // The server ends a dead client's session as soon as it sees the connection close.
        var probe = try catalog.probe(.context("cam"))
        let deadline = Date().addingTimeInterval(10)
        while case .held = probe, Date() < deadline {
            usleep(20_000)
            probe = try catalog.probe(.context("cam"))
        }
        guard case .free(let dead?) = probe else { Issue.record("the killed holder is not reported dead: \(probe)"); return }
        #expect(dead.pid == Int64(child.pid) && dead.holder == "scan")
        _ = try catalog.lock(.context("cam"), holder: "scan")
    }
}

/// `tidemark-bench hold-lock` in the background: a process holding a run lock until killed.
final class LockHolderChild {
    let process = Process()
    private let flag = temporaryDirectory("holder") + "/held"

    init(url: String, context: String) throws {
        process.executableURL = URL(fileURLWithPath: productsDirectory + "/tidemark-bench")
        process.arguments = ["hold-lock", "--db", url, "--context", context, "--flag", flag]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: flag) && process.isRunning && Date() < deadline { usleep(10_000) }
        guard FileManager.default.fileExists(atPath: flag) else {
            kill()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ChildFailure(description: "the lock holder never took its lock: \(text)")
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// SIGKILL, and waits for the end (idempotent).
    func kill() {
        if process.isRunning { Foundation.kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A child process of a test that did not start as it should, with what it said.
struct ChildFailure: Error, CustomStringConvertible {
    var description: String
}
