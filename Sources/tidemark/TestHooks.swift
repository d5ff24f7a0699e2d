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

    /// `TIDEMARK_TEST_FILL_DISK_AFTER_REMOVALS=N` (in `PolicyRunner`): fills the file system
    /// holding the catalog with `<catalog>.test-fill`, as another program might, to prove a
    /// run stopped by a full disk says what it did.
    static func fillDisk(beside catalog: String) {
        let fd = open(catalog + ".test-fill", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var size = chunk.count
        while size > 0 {
            if chunk.withUnsafeBytes({ write(fd, $0.baseAddress, size) }) < 0 { size /= 2 }
        }
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
