#if canImport(Glibc)
import Glibc
#endif

/// Remembers, in a small memory-mapped file beside the catalog, which file each worker is
/// reading a header of. A C library that aborts on a corrupt file (HDF5 does, on some
/// damaged netCDF-4 files) takes the scan down with it; the mapped page survives the
/// process, so the next scan knows the files in flight. A file found in flight by two
/// scans in a row is taken as the culprit and its header is not read again until it
/// changes (a scan stopped once by other means costs its files nothing). Without this,
/// one bad file would end every nightly scan.
final class ReadingRecord: @unchecked Sendable {  // each slot is written by one worker only
    static let slotSize = 4096
    /// Each slot: path length (u32), size (i64), mtime (i64), then the path.
    static let headerSize = 20
    private let base: UnsafeMutableRawPointer
    private let slots: Int
    private let fd: Int32
    /// A file in flight: its path and its size and mtime then.
    typealias InFlight = InFlightRead

    /// Files being read when the last scan died.
    let leftBehind: Set<InFlight>

    /// At most this many slots: a record never grows past 1 MB, whatever a caller asks.
    static let maxSlots = WalkOptions.maxThreads

    /// Opens (creating) `path` with one slot per worker, and collects what a dead scan left.
    /// The file must be Tidemark's own: a regular file of the running user, not a link.
    init(path: String, workers: Int) throws(OwnedFileError) {
        let fd = try OwnedFile.open(path.pathBytes)
        // A record of any size (one left by an older Tidemark, or damaged) is read only as
        // far as the slots a record can have.
        var found = Set<InFlight>()
        var old = [UInt8](repeating: 0, count: Self.maxSlots * Self.slotSize)
        let n = old.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        var offset = 0
        while n > 0 && offset + Self.headerSize <= n {
            let (length, size, mtime) = old.withUnsafeBytes { b in
                (Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt32.self))),
                 Int64(littleEndian: b.loadUnaligned(fromByteOffset: offset + 4, as: Int64.self)),
                 Int64(littleEndian: b.loadUnaligned(fromByteOffset: offset + 12, as: Int64.self)))
            }
            let start = offset + Self.headerSize
            if length > 0 && length <= Self.slotSize - Self.headerSize && start + length <= n {
                found.insert(InFlight(path: Array(old[start..<(start + length)]), size: size, mtimeNanoseconds: mtime))
            }
            offset += Self.slotSize
        }
        let slots = min(max(1, workers), Self.maxSlots)
        let size = slots * Self.slotSize
        // Blocks are allocated now: a full disk is an error here, not a SIGBUS on a mapped page later.
        guard ftruncate(fd, 0) == 0 else {
            let e = errno
            close(fd)
            throw .system(SystemError("ftruncate", errno: e, path: path.pathBytes))
        }
        let allocated = posix_fallocate(fd, 0, off_t(size))
        guard allocated == 0 else {
            close(fd)
            throw .system(SystemError("posix_fallocate", errno: allocated, path: path.pathBytes))
        }
        guard let map = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            let e = errno
            close(fd)
            throw .system(SystemError("mmap", errno: e, path: path.pathBytes))
        }
        self.fd = fd
        self.base = map
        self.slots = slots
        self.leftBehind = found
    }

    deinit {
        munmap(base, slots * Self.slotSize)
        close(fd)
    }

    /// Runs `body` with `path` recorded in the worker's slot.
    func reading<T>(_ path: PathBytes, stat: FileStat, worker: Int, _ body: () -> T) -> T {
        let slot = base + (worker % slots) * Self.slotSize
        let length = min(path.count, Self.slotSize - Self.headerSize)
        path.withUnsafeBytes { slot.advanced(by: Self.headerSize).copyMemory(from: $0.baseAddress!, byteCount: length) }
        slot.storeBytes(of: stat.size.littleEndian, toByteOffset: 4, as: Int64.self)
        slot.storeBytes(of: stat.mtimeNanoseconds.littleEndian, toByteOffset: 12, as: Int64.self)
        slot.storeBytes(of: UInt32(length).littleEndian, as: UInt32.self)
        defer { slot.storeBytes(of: UInt32(0), as: UInt32.self) }
        return body()
    }
}
