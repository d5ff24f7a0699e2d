#if canImport(Glibc)
import Glibc
#endif

/// Files Tidemark writes beside the catalog or at a path a user names (DESIGN.md,
/// invariant 7): never through a symbolic link, never over a FIFO, a device, a directory
/// or another user's file. Whoever can write the catalog's directory could otherwise plant
/// a link there and have the nightly job, run as root, truncate any file on the host.
public enum OwnedFile {
    /// Opens `path` to read and write, creating it (mode 0644) when absent. An existing
    /// path must be a regular file of the running user with no other name (a hard link
    /// would carry the writes elsewhere); it is never opened otherwise, so a device's
    /// open has no side effect either.
    public static func open(_ path: PathBytes) throws(OwnedFileError) -> Int32 {
        var st = stat()
        if path.withCString({ lstat($0, &st) }) == 0 {
            try check(st, path, singleLink: true)
        } else if errno != ENOENT {
            throw .system(SystemError("lstat", errno: errno, path: path))
        }
        let fd = path.withCString { Glibc.open($0, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0o644) }
        guard fd >= 0 else {
            throw errno == ELOOP ? .symbolicLink(path) : .system(SystemError("open", errno: errno, path: path))
        }
        // Checked again on what was opened: the path may have been swapped meanwhile.
        do throws(OwnedFileError) {
            guard fstat(fd, &st) == 0 else { throw .system(SystemError("fstat", errno: errno, path: path)) }
            try check(st, path, singleLink: true)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Puts `contents` at `path` whole (written beside it, then renamed over it): a new
    /// file, or in place of a regular file of the running user, whose mode it keeps.
    public static func replace(_ path: PathBytes, with contents: [UInt8]) throws(OwnedFileError) {
        var st = stat()
        var mode: mode_t?
        if path.withCString({ lstat($0, &st) }) == 0 {
            try check(st, path, singleLink: false)
            mode = st.st_mode & 0o7777
        } else if errno != ENOENT {
            throw .system(SystemError("lstat", errno: errno, path: path))
        }
        let slash = path.lastIndex(of: UInt8(ascii: "/"))
        let directory = slash.map { Array(path[...$0]) } ?? []
        let name = slash.map { Array(path[($0 + 1)...]) } ?? path
        let temporary = directory + Array(".".utf8) + name + Array(".tidemark-\(UInt64.random(in: 0...UInt64.max))".utf8)
        let fd = temporary.withCString { Glibc.open($0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666) }
        guard fd >= 0 else { throw .system(SystemError("open", errno: errno, path: temporary)) }
        do throws(OwnedFileError) {
            do throws(OwnedFileError) {
                try writeAll(fd, contents, temporary)
                if let mode, fchmod(fd, mode) != 0 { throw .system(SystemError("fchmod", errno: errno, path: temporary)) }
            } catch {
                close(fd)
                throw error
            }
            guard close(fd) == 0 else { throw .system(SystemError("close", errno: errno, path: temporary)) }
            // Looked at again just before the rename, which would replace whatever is there.
            if path.withCString({ lstat($0, &st) }) == 0 { try check(st, path, singleLink: false) }
            guard temporary.withCString({ t in path.withCString { rename(t, $0) } }) == 0 else {
                throw .system(SystemError("rename", errno: errno, path: path))
            }
        } catch {
            _ = temporary.withCString { unlink($0) }
            throw error
        }
    }

    /// Refuses `path` when something other than a regular file is there (a link, a FIFO, a
    /// device…); nothing there, or a regular file of anyone's, is fine. For files another
    /// program writes beside the catalog (SQLite's write-ahead log), which may be shared.
    public static func refuseOddKind(_ path: PathBytes) throws(OwnedFileError) {
        var st = stat()
        guard path.withCString({ lstat($0, &st) }) == 0 else { return }
        try check(st, path, singleLink: false, anyOwner: true)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: PathBytes) throws(OwnedFileError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(SystemError("write", errno: errno, path: path))
            }
            offset += n
        }
    }

    /// Refuses what Tidemark must not write to.
    private static func check(_ st: stat, _ path: PathBytes, singleLink: Bool, anyOwner: Bool = false) throws(OwnedFileError) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: throw .symbolicLink(path)
        case S_IFIFO: throw .notRegular(path, kind: "FIFO")
        case S_IFCHR: throw .notRegular(path, kind: "character device")
        case S_IFBLK: throw .notRegular(path, kind: "block device")
        case S_IFDIR: throw .notRegular(path, kind: "directory")
        case S_IFSOCK: throw .notRegular(path, kind: "socket")
        default: throw .notRegular(path, kind: "special file")
        }
        if !anyOwner && st.st_uid != geteuid() { throw .otherOwner(path, uid: st.st_uid) }
        if singleLink && st.st_nlink > 1 { throw .linked(path, links: Int(st.st_nlink)) }
    }
}

/// Why Tidemark will not write a file beside the catalog or at a path a user named.
public enum OwnedFileError: Error, Sendable, CustomStringConvertible {
    /// A symbolic link is there.
    case symbolicLink(PathBytes)
    /// A FIFO, device, directory or socket is there.
    case notRegular(PathBytes, kind: String)
    /// A regular file of another user is there.
    case otherOwner(PathBytes, uid: UInt32)
    /// A regular file with more than one name is there.
    case linked(PathBytes, links: Int)
    /// A system call failed (permissions, a full disk).
    case system(SystemError)

    public var description: String {
        switch self {
        case .symbolicLink(let p):
            "\(p.displayPath) is a symbolic link; Tidemark never writes through one. Remove it (or name another file)"
        case .notRegular(let p, let kind):
            "\(p.displayPath) is not a regular file but a \(kind); Tidemark writes only regular files. Remove it (or name another file)"
        case .otherOwner(let p, let uid):
            "\(p.displayPath) belongs to another user (uid \(uid)); Tidemark never replaces another user's file. Remove it (or name another file)"
        case .linked(let p, let links):
            "\(p.displayPath) has \(links) names (hard links); Tidemark writes beside the catalog only files with one. Remove it"
        case .system(let e): e.description
        }
    }
}
