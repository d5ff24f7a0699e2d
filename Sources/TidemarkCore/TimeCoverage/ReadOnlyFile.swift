#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor for reading, opened by path bytes and closed on deinit.
/// Used to sniff magic bytes and read leading blocks without a library's help.
final class ReadOnlyFile {
    let path: PathBytes
    private let fd: Int32
    /// The size when opened (fstat).
    let size: Int64
    /// Where the next sequential `read` starts.
    private(set) var offset: Int64 = 0

    /// Opens the input's file: relative to its open directory when the walker has one.
    convenience init(_ input: CoverageInput) throws(SystemError) {
        try self.init(path: input.path, directory: input.directory)
    }

    init(path: PathBytes, directory: (descriptor: Int32, name: PathBytes)? = nil) throws(SystemError) {
        self.path = path
        let fd: Int32
        if let directory {
            // The name NUL-terminated in a stack buffer: no array to allocate per file.
            fd = withUnsafeTemporaryAllocation(of: CChar.self, capacity: directory.name.count + 1) { buffer in
                directory.name.withUnsafeBytes { name in
                    if let base = name.baseAddress { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base, byteCount: name.count) }
                }
                buffer[directory.name.count] = 0
                return openat(directory.descriptor, buffer.baseAddress!, O_RDONLY | O_CLOEXEC)
            }
        } else {
            fd = (path + [0]).withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_RDONLY | O_CLOEXEC) }
            }
        }
        guard fd >= 0 else { throw SystemError("open", errno: errno, path: path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw SystemError("fstat", errno: e, path: path)
        }
        // A directory or device opens fine but is no header file.
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw SystemError("open", errno: EISDIR, path: path)
        }
        self.fd = fd
        self.size = Int64(st.st_size)
    }

    deinit { close(fd) }

    /// Up to `count` bytes at `at`; fewer only at end of file.
    func read(count: Int, at position: Int64) throws(SystemError) -> [UInt8] {
        var failure: Int32 = 0
        // Filled by pread alone: no zeroing first.
        let out = [UInt8](unsafeUninitializedCapacity: count) { b, initialized in
            var done = 0
            while done < count {
                let n = pread(fd, b.baseAddress! + done, count - done, off_t(position) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }
                done += n
            }
            initialized = failure == 0 ? done : 0
        }
        if failure != 0 { throw SystemError("pread", errno: failure, path: path) }
        return out
    }

    /// Reads sequentially into `buffer`; 0 at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("pread", errno: errno, path: path)
            }
            offset += Int64(n)
            return n
        }
    }
}
