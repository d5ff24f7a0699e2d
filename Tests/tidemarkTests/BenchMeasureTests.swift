import Foundation
import Testing
@testable import tidemark_bench

/// `tidemark-bench` measures children it spawns: one that a signal ends is a failure that
/// names the signal, never a success with status 0.
@Suite struct BenchMeasureTests {
    static let crash = ["/bin/sh", "-c", "kill -SEGV $$"]

    @Test func aChildKilledByASignalIsAFailureThatNamesTheSignal() throws {
        let m = try Measure.run(Self.crash)
        #expect(m.status != 0, "a child killed by SIGSEGV read as exit status 0")
        do {
            _ = try Measure.median(1, Self.crash)
            Issue.record("Measure.median took a crashed child for a successful run")
        } catch let e as BenchError {
            #expect(e.description.contains("SIGSEGV"), "\(e.description)")
        }
    }

    @Test func aNormalExitKeepsItsStatus() throws {
        #expect(try Measure.run(["/bin/sh", "-c", "exit 3"]).status == 3)
        #expect(try Measure.run(["/bin/true"]).status == 0)
    }
}
