#if canImport(Glibc)
import Glibc
#endif

/// Where a scan's time went, phase by phase, so that a regression shows which part slowed.
///
/// Walkers read, look up and classify whole directories in parallel: their phases are
/// given in worker-seconds (summed over the walker threads), beside the walk's wall time.
public struct ScanPhases: Sendable, Codable, Equatable {
    /// Reading directories and stating their entries; `wall` is the whole walk, start to end.
    public var walk = Phase()
    /// Looking each directory up in the catalog.
    public var lookup = Phase()
    /// Classifying new and changed files and reading their time coverage.
    public var classify = Phase()
    /// The one writer: `wall` is the time it spent writing, `afterWalk` how long it went on
    /// once the walk had ended.
    public var write = Phase()
    /// After the walk: tombstones of vanished directories, clipped name coverage, runs,
    /// monthly rollups, dataset ranges and the scan's record.
    public var finish = Phase()

    /// One phase's seconds; a figure that does not apply is nil (and left out of JSON).
    public struct Phase: Sendable, Codable, Equatable {
        /// Wall-clock seconds.
        public var wall: Double?
        /// Seconds summed over the threads that did this work.
        public var workerSeconds: Double?
        /// CPU seconds (user and system) of the threads that did this work.
        public var cpu: Double?
        /// Seconds the phase went on after the walk ended.
        public var afterWalk: Double?

        enum CodingKeys: String, CodingKey { case wall, workerSeconds = "worker_seconds", cpu, afterWalk = "after_walk" }

        public init(wall: Double? = nil, workerSeconds: Double? = nil, cpu: Double? = nil, afterWalk: Double? = nil) {
            self.wall = wall; self.workerSeconds = workerSeconds; self.cpu = cpu; self.afterWalk = afterWalk
        }

        /// Figures rounded to the millisecond, for output.
        public var rounded: Phase {
            func r(_ v: Double?) -> Double? { v.map { ($0 * 1000).rounded() / 1000 } }
            return Phase(wall: r(wall), workerSeconds: r(workerSeconds), cpu: r(cpu), afterWalk: r(afterWalk))
        }
    }

    public init() {}

    /// Every phase rounded to the millisecond.
    public var rounded: ScanPhases {
        var p = self
        p.walk = walk.rounded; p.lookup = lookup.rounded; p.classify = classify.rounded
        p.write = write.rounded; p.finish = finish.rounded
        return p
    }
}

/// Cheap clocks for phase timing: the monotonic clock (no system call) and a thread's CPU time.
enum PhaseClock {
    /// Monotonic nanoseconds.
    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Seconds between two `now()` readings.
    static func seconds(_ from: UInt64, _ to: UInt64) -> Double { Double(to &- from) / 1e9 }

    /// CPU seconds the calling thread has used.
    static func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
