import Foundation
import GRDB
typealias GRDBRow = GRDB.Row
@testable import TidemarkCore

/// A directory tree in a fresh temporary folder, removed when the value is released.
final class TempTree: @unchecked Sendable {
    let root: String

    init(_ label: String = "tree") {
        let base = FileManager.default.temporaryDirectory.path + "/tidemark-tests-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        root = base
    }

    deinit {
        _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+rwx", root]).waitUntilExit()
        try? FileManager.default.removeItem(atPath: root)
    }

    var rootBytes: PathBytes { root.pathBytes }

    /// Writes a file (parents created); `relative` may hold any bytes but `/` and NUL.
    @discardableResult
    func write(_ relative: PathBytes, size: Int = 10, mtime: Int? = nil) -> PathBytes {
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
    func write(_ relative: String, size: Int = 10, mtime: Int? = nil) -> PathBytes { write(relative.pathBytes, size: size, mtime: mtime) }

    func setMtime(_ relative: PathBytes, _ seconds: Int) {
        let path = rootBytes.appendingComponent(relative)
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        _ = (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { utimensat(AT_FDCWD, $0, &times, 0) }
        }
    }

    func remove(_ relative: String) { try! FileManager.default.removeItem(atPath: root + "/" + relative) }

    func path(_ relative: String) -> String { root + "/" + relative }
}

/// A catalog file in its own temporary folder.
func temporaryCatalog() throws -> SQLiteCatalog {
    let dir = FileManager.default.temporaryDirectory.path + "/tidemark-catalog-\(UUID().uuidString.prefix(8))"
    return try SQLiteCatalog(path: dir + "/catalog.sqlite")
}

/// A reader that counts its calls, to prove which files a scan reads.
final class CountingReader: CoverageReader, @unchecked Sendable {
    let source = TimeSource.fits
    private let lock = NSLock()
    private var _calls = 0
    var calls: Int { lock.withLock { _calls } }
    func recognizes(magic: [UInt8], path: PathBytes) -> Bool { true }
    func read(_ input: CoverageInput) throws -> CoverageReading {
        lock.withLock { _calls += 1 }
        return CoverageReading(coverage: nil)
    }
}

extension SQLiteCatalog {
    /// Every row the scan keeps, as text, except the scan's own record.
    func dumpForComparison() throws -> String {
        try pool.read { db in
            var out = ""
            for table in ["contexts", "roots", "dirs", "streams", "datasets", "files"] {
                for row in try GRDBRow.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY id") { out += "\(table) \(row)\n" }
            }
            return out
        }
    }

    func count(_ sql: String) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }
}
