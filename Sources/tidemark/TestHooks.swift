import Foundation
import TidemarkCore

/// Hooks for the binary's own crash and concurrency tests, off unless their environment
/// variable is set.
enum TestHooks {
    /// `TIDEMARK_TEST_ABORT_READING=NAME`: the FITS reader aborts the process on a file so
    /// named, as a crashing C library would, to prove a scan survives such a file.
    /// `TIDEMARK_TEST_PAUSE_READING=NAME` with `TIDEMARK_TEST_PAUSE_FLAG=PATH`: on a file so
    /// named the reader creates PATH and waits until the test removes it, so a test can act
    /// while a scan is in the middle of its work.
    static func resolver(_ base: CoverageResolver) -> CoverageResolver {
        let env = ProcessInfo.processInfo.environment
        guard let fits = base.readers[.fits] else { return base }
        var r = base
        if let name = env["TIDEMARK_TEST_ABORT_READING"], !name.isEmpty {
            r.readers[.fits] = HookedReader(base: fits, name: Array(name.utf8)) { abort() }
        } else if let name = env["TIDEMARK_TEST_PAUSE_READING"], !name.isEmpty, let flag = env["TIDEMARK_TEST_PAUSE_FLAG"] {
            r.readers[.fits] = HookedReader(base: fits, name: Array(name.utf8)) { pause(flag: flag) }
        }
        return r
    }

    /// `TIDEMARK_TEST_BARRIER=DIR` (in `dataset set-state`, after the dataset is read): creates
    /// DIR/ready.PID and waits for DIR/go, so that racing processes all read the dataset before
    /// any of them writes (a minute at most).
    static func barrier() {
        guard let dir = ProcessInfo.processInfo.environment["TIDEMARK_TEST_BARRIER"], !dir.isEmpty else { return }
        _ = FileManager.default.createFile(atPath: "\(dir)/ready.\(getpid())", contents: nil)
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: dir + "/go") && Date() < deadline { usleep(10_000) }
    }

    /// In `copy run`: `TIDEMARK_TEST_RSYNC_ARGS` (space-separated) are added to every rsync
    /// (e.g. `--bwlimit=100`, so a test can kill a run mid-copy); `TIDEMARK_TEST_COPY_PAUSE_FLAG=PATH`:
    /// before each rsync the runner creates PATH and waits until the test removes it;
    /// `TIDEMARK_TEST_RSYNC_ARGUMENT_BUDGET=N`: the bytes of paths one rsync's argv may hold.
    static func copy(_ options: inout CopyRunner.Options) {
        let env = ProcessInfo.processInfo.environment
        if let args = env["TIDEMARK_TEST_RSYNC_ARGS"], !args.isEmpty { options.extraRsyncArguments = args.split(separator: " ").map(String.init) }
        if let flag = env["TIDEMARK_TEST_COPY_PAUSE_FLAG"], !flag.isEmpty { options.beforeRsync = { _ in pause(flag: flag) } }
        if let budget = env["TIDEMARK_TEST_RSYNC_ARGUMENT_BUDGET"].flatMap(Int.init) { options.argumentBudget = budget }
    }

    /// Creates `flag` and waits until it is gone (a minute at most: a test never hangs).
    private static func pause(flag: String) {
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        let deadline = Date().addingTimeInterval(60)
        while FileManager.default.fileExists(atPath: flag) && Date() < deadline { usleep(10_000) }
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

    private struct HookedReader: CoverageReader {
        let base: any CoverageReader
        let name: PathBytes
        let hook: @Sendable () -> Void
        var source: TimeSource { base.source }
        func recognizes(magic: [UInt8], path: PathBytes) -> Bool { base.recognizes(magic: magic, path: path) }
        func read(_ input: CoverageInput) throws -> CoverageReading {
            if input.path.split(separator: UInt8(ascii: "/")).last.map(Array.init) == name { hook() }
            return try base.read(input)
        }
    }
}
