#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The live facts a plan depends on besides the catalog: how full each root's file system is.
public struct FileSystemFacts: Sendable {
    /// The usage of the file system holding a directory.
    public var usage: @Sendable (PathBytes) throws(SystemError) -> FileSystemUsage

    public init(usage: @escaping @Sendable (PathBytes) throws(SystemError) -> FileSystemUsage) { self.usage = usage }

    /// `statvfs` and `stat` of the directory itself.
    public static let live = FileSystemFacts { path throws(SystemError) in
        var vfs = statvfs()
        var st = stat()
        let c = path + [0]
        let rc = c.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { statvfs($0, &vfs) }
        }
        guard rc == 0 else { throw SystemError("statvfs", errno: errno, path: path) }
        let rs = c.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { stat($0, &st) }
        }
        guard rs == 0 else { throw SystemError("stat", errno: errno, path: path) }
        let frsize = Int64(vfs.f_frsize)
        return FileSystemUsage(device: UInt64(st.st_dev),
                               usedBytes: (Int64(vfs.f_blocks) - Int64(vfs.f_bfree)) * frsize,
                               availableBytes: Int64(vfs.f_bavail) * frsize, blockSize: frsize)
    }
}

/// How full a file system is, as `df` reports it for an unprivileged user.
public struct FileSystemUsage: Sendable, Equatable {
    public var device: UInt64
    public var usedBytes: Int64
    /// Available to unprivileged users (`f_bavail`); reserved blocks are not counted.
    public var availableBytes: Int64
    /// The allocation unit: removing a file frees its size rounded up to it.
    public var blockSize: Int64

    public init(device: UInt64, usedBytes: Int64, availableBytes: Int64, blockSize: Int64 = 1) {
        self.device = device; self.usedBytes = usedBytes; self.availableBytes = availableBytes; self.blockSize = max(1, blockSize)
    }

    /// What removing a file of `size` bytes frees, about (hard links and sparse files aside).
    public func freed(bySize size: Int64) -> Int64 { (size + blockSize - 1) / blockSize * blockSize }

    /// Used over (used + available), as `df`'s Use%.
    public var fraction: Double {
        let total = usedBytes + availableBytes
        return total > 0 ? Double(usedBytes) / Double(total) : 0
    }

    /// Bytes to free so that usage falls below `low`.
    public func bytesToFree(below low: Double) -> Int64 {
        let total = Double(usedBytes + availableBytes)
        return max(0, Int64((Double(usedBytes) - low * total).rounded(.up)) + 1)
    }
}
