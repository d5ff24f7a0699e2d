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
