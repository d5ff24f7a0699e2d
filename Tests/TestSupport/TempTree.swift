import Foundation
import TidemarkCore

/// A directory tree in a fresh temporary folder, removed when the value is released.
public final class TempTree: @unchecked Sendable {
    public let root: String

    public init(_ label: String = "tree") {
        let base = FileManager.default.temporaryDirectory.path + "/tidemark-tests-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        root = base
    }

    deinit {
        _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+rwx", root]).waitUntilExit()
        try? FileManager.default.removeItem(atPath: root)
    }

    public var rootBytes: PathBytes { root.pathBytes }

    /// Writes a file (parents created); `relative` may hold any bytes but `/` and NUL.
    @discardableResult
    public func write(_ relative: PathBytes, size: Int = 10, mtime: Int? = nil) -> PathBytes {
        let path = rootBytes.appendingComponent(relative)
        var dir = path
        while let last = dir.last, last != UInt8(ascii: "/") { dir.removeLast() }
        try! FileManager.default.createDirectory(atPath: String(decoding: dir, as: UTF8.self), withIntermediateDirectories: true)
        let fd = (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        }
        precondition(fd >= 0, "cannot create \(path.displayPath)")
        let bytes = [UInt8](repeating: 0x2a, count: size)
        _ = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, size) }
        close(fd)
        if let mtime { setMtime(relative, mtime) }
        return path
    }

    @discardableResult
    public func write(_ relative: String, size: Int = 10, mtime: Int? = nil) -> PathBytes { write(relative.pathBytes, size: size, mtime: mtime) }

    /// Writes a file with these exact contents (parents created).
    @discardableResult
    public func write(_ relative: String, contents: [UInt8]) -> PathBytes {
        let path = write(relative.pathBytes, size: 0)
        let fd = open(String(decoding: path, as: UTF8.self), O_WRONLY | O_TRUNC)
        _ = contents.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, contents.count) }
        close(fd)
        return path
    }

    /// A NIDAS raw archive of exactly `size` bytes: a real archive header, then zero padding.
    public static func nidasArchive(size: Int, project: String = "TEST") -> [UInt8] {
        let header = Array("""
            NIDAS (ncar.ucar.edu)
            archive version: 1
            software version: v1
            project name: \(project)
            system name: ISFS
            config name: t.xml
            config version: 1
            end header

            """.utf8)
        precondition(size >= header.count, "a NIDAS archive needs at least \(header.count) bytes")
        return header + [UInt8](repeating: 0, count: size - header.count)
    }

    /// A FITS primary header with only `DATE-OBS`: an instant.
    public static func fitsHeader(dateObs: String) -> [UInt8] {
        let cards = ["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0",
                     "DATE-OBS= '\(dateObs)'", "END"]
        let text = cards.map { $0.padding(toLength: 80, withPad: " ", startingAt: 0) }.joined()
        return Array(text.padding(toLength: 2880, withPad: " ", startingAt: 0).utf8)
    }

    /// Rewrites a file in place (same inode and size, other bytes) and puts its mtime back
    /// to the nanosecond, as `touch -d` after an edit would: only its ctime tells.
    public func rewriteKeepingMtime(_ relative: String) {
        var before = stat()
        precondition(lstat(path(relative), &before) == 0, "no file \(relative)")
        usleep(20_000)  // past the kernel's timestamp granularity
        write(relative, contents: [UInt8](repeating: 0x55, count: Int(before.st_size)))
        var times = [before.st_mtim, before.st_mtim]
        precondition(utimensat(AT_FDCWD, path(relative), &times, 0) == 0)
        var after = stat()
        precondition(lstat(path(relative), &after) == 0 && after.st_ino == before.st_ino && after.st_size == before.st_size
                     && after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec
                     && (after.st_ctim.tv_sec, after.st_ctim.tv_nsec) != (before.st_ctim.tv_sec, before.st_ctim.tv_nsec))
    }

    public func setMtime(_ relative: PathBytes, _ seconds: Int) {
        let path = rootBytes.appendingComponent(relative)
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        _ = (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { utimensat(AT_FDCWD, $0, &times, 0) }
        }
    }

    public func remove(_ relative: String) { try! FileManager.default.removeItem(atPath: root + "/" + relative) }

    public func path(_ relative: String) -> String { root + "/" + relative }
}

/// A catalog file in its own temporary folder.
public func temporaryCatalog() throws -> SQLiteCatalog {
    let dir = FileManager.default.temporaryDirectory.path + "/tidemark-catalog-\(UUID().uuidString.prefix(8))"
    return try SQLiteCatalog(path: dir + "/catalog.sqlite")
}

/// A reader that counts its calls, to prove which files a scan reads.
public final class CountingReader: CoverageReader, @unchecked Sendable {
    public init() {}
    public let source = TimeSource.fits
    private let lock = NSLock()
    private var _calls = 0
    public var calls: Int { lock.withLock { _calls } }
    public func recognizes(magic: [UInt8], path: PathBytes) -> Bool { true }
    public func read(_ input: CoverageInput) throws -> CoverageReading {
        lock.withLock { _calls += 1 }
        return CoverageReading(coverage: nil)
    }
}


/// A fresh temporary directory path (created).
public func temporaryDirectory(_ label: String) -> String {
    let dir = FileManager.default.temporaryDirectory.path + "/tidemark-\(label)-\(UUID().uuidString.prefix(8))"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Rules of a policy whose age-off would take the cover its cleanup relied on: files of
/// `category` purged once merge files cover them, then the merge files of May 1 and 2 2017.
public func cleanupThenAgeOffRules(category: String, sameStream: Bool) -> String {
    """
    [[rule]]
    kind = "cleanup"
    name = "raw once merged"
    categories = ["\(category)"]
    covered_by = ["merge"]
    same_stream = \(sameStream)
    older_than = "1d"
    [[rule]]
    kind = "age-off"
    name = "old merges"
    categories = ["merge"]
    before = "2017-05-03"
    """
}
