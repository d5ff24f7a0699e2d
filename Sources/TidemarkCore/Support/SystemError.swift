#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call on a path, in words a person can act on.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public var call: String
    public var errno: Int32
    public var path: PathBytes

    public init(_ call: String, errno: Int32, path: PathBytes) {
        self.call = call; self.errno = errno; self.path = path
    }

    public var reason: String {
        switch errno {
        case EACCES, EPERM: return "permission denied"
        case ENOENT: return "no such file or directory"
        case ENOTDIR: return "not a directory"
        case ELOOP: return "too many symbolic links (a symlink loop, or a symlink where none is followed)"
        case EIO: return "input/output error (a failing disk or a lost NFS server)"
        case ENOSPC: return "no space left on the device"
        case EROFS: return "read-only file system"
        case EMFILE, ENFILE: return "too many open files (raise `ulimit -n`)"
        case ESTALE: return "stale NFS file handle"
        default: return String(cString: strerror(errno))
        }
    }

    public var description: String { "\(path.displayPath): \(call): \(reason)" }
}
