#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What tells one directory from another whatever path reaches it: its device and inode.
/// A root is recorded with its identity when first catalogued; a directory at its path
/// with another identity (an empty mount point, a tree put in its place) is not that root.
public struct RootIdentity: Sendable, Hashable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) { self.device = device; self.inode = inode }

    init(_ st: stat) { self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) }

    /// The identity of the directory at `path`, a final symbolic link followed (a root may be
    /// a mount alias); throws when there is none or it is not a directory.
    public static func of(_ path: PathBytes) throws(SystemError) -> RootIdentity {
        var st = stat()
        guard path.withCString({ stat($0, &st) }) == 0 else { throw SystemError("stat", errno: errno, path: path) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw SystemError("stat", errno: ENOTDIR, path: path) }
        return RootIdentity(st)
    }

    public var description: String { "\(device)/\(inode)" }
}

/// A root directory as found on disk just now: how it was named, where it really is, and
/// the identities of it and every directory above it, to tell nested roots apart.
public struct ProbedRoot: Sendable {
    /// As given (`--scan DIR` or the definition), without a trailing slash.
    public var path: PathBytes
    /// Symbolic links resolved.
    public var realPath: PathBytes
    public var identity: RootIdentity
    /// The identities of the directories above `realPath`, nearest first, up to `/`.
    public var ancestors: [RootIdentity]

    /// Probes `path`: it must be a directory the scan can open and read.
    public init(_ path: PathBytes) throws(SystemError) {
        self.path = Self.normalized(path)
        identity = try RootIdentity.of(self.path)
        let fd = self.path.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", errno: errno, path: self.path) }
        close(fd)
        realPath = Self.resolved(self.path) ?? self.path
        ancestors = Self.ancestors(of: realPath)
    }

    /// True when `other` is this directory or one above it.
    func isWithin(_ other: RootIdentity) -> Bool { identity == other || ancestors.contains(other) }

    /// The identities of the directories above a resolved path, nearest first.
    static func ancestors(of realPath: PathBytes) -> [RootIdentity] {
        var out: [RootIdentity] = []
        var p = realPath
        while p.count > 1 {
            while let last = p.last, last != UInt8(ascii: "/") { p.removeLast() }
            if p.count > 1 { p.removeLast() }  // the slash, except the root's own
            guard let id = try? RootIdentity.of(p) else { break }
            out.append(id)
        }
        return out
    }

    /// `realpath(3)` of a path, nil when it cannot be resolved.
    static func resolved(_ path: PathBytes) -> PathBytes? {
        guard let p = path.withCString({ realpath($0, nil) }) else { return nil }
        defer { free(p) }
        return PathBytes(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
    }

    /// The path without trailing slashes (`/` stays `/`).
    public static func normalized(_ path: PathBytes) -> PathBytes {
        var p = path
        while p.count > 1, p.last == UInt8(ascii: "/") { p.removeLast() }
        return p
    }
}
