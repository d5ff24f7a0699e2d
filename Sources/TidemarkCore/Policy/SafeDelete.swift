#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What became of one attempt to remove a catalogued file.
public enum RemovalOutcome: Sendable {
    /// Unlinked: it was the file catalogued.
    case removed
    /// Nothing by that name (or its directory) is there any more.
    case gone
    /// Something is there but not the file catalogued: replaced, grown or touched since the scan.
    case changed(String)
    /// The path cannot be followed safely: a symbolic link, or not a directory, where the
    /// catalog had a directory; or not a regular file.
    case unsafe(String)
    /// A system call failed (permission, read-only or lost file system).
    case failed(SystemError)
}

/// A root directory held open: every catalogued file below it is reached from it one
/// component at a time with `O_NOFOLLOW`, re-checked with `fstatat(AT_SYMLINK_NOFOLLOW)`
/// and removed with `unlinkat` in its parent, so a directory swapped for a symbolic link
/// can never lead outside the root.
///
/// Owns one file descriptor; use it from one thread at a time.
public final class RootDirectory: @unchecked Sendable {
    public let path: PathBytes
    private let fd: Int32

    /// Opens the root. The root itself may be a symbolic link (a mount alias), as for the scan.
    public init(path: PathBytes) throws(SystemError) {
        self.path = path
        let fd = (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        }
        guard fd >= 0 else { throw SystemError("open", errno: errno, path: path) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// The device and inode of the directory held open.
    public var identity: RootIdentity? {
        var st = stat()
        return fstat(fd, &st) == 0 ? RootIdentity(st) : nil
    }

    /// nil when `directory/name` (relative to the root) is still exactly `expected`; else what differs.
    public func verify(directory: PathBytes, name: PathBytes, expected: FileStat) -> RemovalOutcome? {
        inParent(directory, name) { parent in Self.compare(parent, name, expected, displayPath: display(directory, name)) }
    }

    /// Removes `directory/name` if it is still exactly `expected` (device, inode, size, mtime, ctime).
    ///
    /// Between the final check and `unlinkat` lies one system call; POSIX offers no
    /// "unlink if inode" to close it.
    public func remove(directory: PathBytes, name: PathBytes, expected: FileStat) -> RemovalOutcome {
        let outcome = inParent(directory, name) { parent -> RemovalOutcome? in
            if let mismatch = Self.compare(parent, name, expected, displayPath: display(directory, name)) { return mismatch }
            let rc = name.withCString { unlinkat(parent, $0, 0) }
            if rc == 0 { return .removed }
            let e = errno
            return e == ENOENT ? .gone : .failed(SystemError("unlinkat", errno: e, path: display(directory, name)))
        }
        return outcome ?? .removed
    }

    private func display(_ directory: PathBytes, _ name: PathBytes) -> PathBytes {
        (directory.isEmpty ? path : path.appendingComponent(directory)).appendingComponent(name)
    }

    /// Opens each directory below the root without following links, then runs `body` with the parent.
    private func inParent(_ directory: PathBytes, _ name: PathBytes, _ body: (Int32) -> RemovalOutcome?) -> RemovalOutcome? {
        let bad = name.isEmpty || name == [46] || name == [46, 46] || name.contains(UInt8(ascii: "/"))
        if bad { return .unsafe("'\(name.displayPath)' is not a file name") }
        var current = fd
        var walked: PathBytes = path
        defer { if current != fd { close(current) } }
        for component in directory.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            let c = Array(component)
            walked = walked.appendingComponent(c)
            if c == [46] || c == [46, 46] { return .unsafe("\(walked.displayPath): '.' or '..' in a catalogued path") }
            let next = c.withCString { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next < 0 {
                let e = errno
                switch e {
                case ENOENT:
                    return .gone
                case ELOOP, ENOTDIR:
                    // Tell a symlink from a file that took the directory's place.
                    var st = stat()
                    let isLink = c.withCString { fstatat(current, $0, &st, AT_SYMLINK_NOFOLLOW) } == 0 && (st.st_mode & S_IFMT) == S_IFLNK
                    return .unsafe(isLink ? "\(walked.displayPath) is now a symbolic link; links are never followed"
                                          : "\(walked.displayPath) is no longer a directory")
                default:
                    return .failed(SystemError("openat", errno: e, path: walked))
                }
            }
            if current != fd { close(current) }
            current = next
        }
        return body(current)
    }

    /// nil when the entry in `parent` is the regular file `expected`; else what differs.
    private static func compare(_ parent: Int32, _ name: PathBytes, _ expected: FileStat, displayPath: PathBytes) -> RemovalOutcome? {
        var st = stat()
        let rc = name.withCString { fstatat(parent, $0, &st, AT_SYMLINK_NOFOLLOW) }
        if rc != 0 {
            let e = errno
            return e == ENOENT ? .gone : .failed(SystemError("fstatat", errno: e, path: displayPath))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: return .unsafe("now a symbolic link; links are never followed")
        default: return .unsafe("no longer a regular file")
        }
        let now = FileStat(st)
        if now.device != expected.device || now.inode != expected.inode {
            return .changed("replaced since the scan (device/inode \(now.device)/\(now.inode), catalogued \(expected.device)/\(expected.inode))")
        }
        if now.size != expected.size {
            return .changed("size changed since the scan (\(now.size) bytes, catalogued \(expected.size))")
        }
        if now.mtimeNanoseconds != expected.mtimeNanoseconds {
            return .changed("modified since the scan (mtime \(now.mtime.iso8601), catalogued \(expected.mtime.iso8601))")
        }
        // Rewritten with its mtime put back (`touch -d`), or its owner, mode or links changed.
        if now.ctimeNanoseconds != expected.ctimeNanoseconds {
            return .changed(expected.ctimeNanoseconds == 0
                ? "catalogued before Tidemark recorded ctime; scan again before it can be removed"
                : "changed since the scan (ctime \(now.ctime.iso8601), catalogued \(expected.ctime.iso8601)): "
                  + "rewritten with its mtime put back, or its owner, mode or links changed")
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    /// Runs `body` with the bytes as a NUL-terminated C string.
    func withCString<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
        (self + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { body($0) }
        }
    }
}
