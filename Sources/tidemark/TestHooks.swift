import Foundation
import TidemarkCore

/// Hooks for the binary's own crash tests, off unless their environment variable is set.
enum TestHooks {
    /// `TIDEMARK_TEST_ABORT_READING=NAME`: the FITS reader aborts the process on a file so
    /// named, as a crashing C library would, to prove a scan survives such a file.
    static func resolver(_ base: CoverageResolver) -> CoverageResolver {
        guard let name = ProcessInfo.processInfo.environment["TIDEMARK_TEST_ABORT_READING"], !name.isEmpty,
              let fits = base.readers[.fits] else { return base }
        var r = base
        r.readers[.fits] = AbortingReader(base: fits, name: Array(name.utf8))
        return r
    }

    private struct AbortingReader: CoverageReader {
        let base: any CoverageReader
        let name: PathBytes
        var source: TimeSource { base.source }
        func recognizes(magic: [UInt8], path: PathBytes) -> Bool { base.recognizes(magic: magic, path: path) }
        func read(_ input: CoverageInput) throws -> CoverageReading {
            if input.path.split(separator: UInt8(ascii: "/")).last.map(Array.init) == name { abort() }
            return try base.read(input)
        }
    }
}
