import ArgumentParser
import Foundation
import Synchronization
import TidemarkCore

/// `tidemark-bench walk`: the walker alone (readdir + fstatat), no catalog: the floor a scan stands on.
struct WalkBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "walk", abstract: "Time the parallel walk alone on a tree.")

    @Argument(help: "The tree to walk.") var root: String
    @Option(help: "Worker threads.") var threads = 2
    @Flag(help: "Also read each file's header (FITS, netCDF, NIDAS) in the walking thread.") var headers = false

    func run() throws {
        var options = WalkOptions()
        options.threads = threads
        let files = Mutex(0)
        let t0 = DispatchTime.now().uptimeNanoseconds
        let resolver = CoverageResolver.standard
        let read = headers
        Walker(roots: [Array(root.utf8)], options: options).run(visit: { listing, _ in
            if read {
                for (name, _) in listing.files { _ = resolver.readHeader(listing.path.appendingComponent(name)) }
            }
            files.withLock { $0 += listing.files.count }
        }, failed: { _ in })
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        print(String(format: "walked %d files in %.2f s on %d threads", files.withLock { $0 }, seconds, threads))
    }
}
