import Dispatch
import Synchronization

/// One file's header read by `CoverageResolver.readHeaders`.
public struct HeaderResult: Sendable {
    public var path: PathBytes
    /// The coverage and what gave it; `error` holds why a header could not be read.
    public var resolved: ResolvedCoverage
}

extension CoverageResolver {
    /// Reads the header time of every path on `threads` threads, the reader chosen by
    /// each file's magic bytes (the `header` source); results come back in input order.
    /// For benchmarks and `inspect`: FITS runs in parallel (one `fitsfile` per thread),
    /// netCDF calls take turns on netCDF-C's one lock.
    public func readHeaders(_ paths: [PathBytes], threads: Int = 2) -> [HeaderResult] {
        let results = ResultSlots(count: paths.count)
        let next = Atomic<Int>(0)
        let workers = max(1, min(threads, paths.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < paths.count else { return }
                results.set(i, readHeader(paths[i]))
            }
        }
        return zip(paths, results.values).map { HeaderResult(path: $0, resolved: $1) }
    }

    /// One file's header time, its format told by its first bytes.
    public func readHeader(_ path: PathBytes) -> ResolvedCoverage {
        let stat: FileStat
        do { stat = try FileStat.of(path: path) } catch {
            return ResolvedCoverage(coverage: nil, source: .header, error: "\(error)")
        }
        let classification = Classification(category: "", stream: "", dataset: nil, time: [.header], nameCoverage: nil, rule: nil)
        var r = resolve(CoverageInput(path: path, stat: stat, classification: classification))
        if r.coverage == nil && r.error == "no time source gave a coverage" {
            r.error = "no header reader recognizes this file"
        }
        return r
    }
}

/// Result slots written by index from several threads, each slot by one thread only.
private final class ResultSlots: @unchecked Sendable {
    private var slots: [ResolvedCoverage?]
    private let lock = Mutex(())

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: ResolvedCoverage) { lock.withLock { _ in slots[i] = r } }

    var values: [ResolvedCoverage] {
        lock.withLock { _ in slots.map { $0 ?? ResolvedCoverage(coverage: nil, source: .header, error: "not read") } }
    }
}
