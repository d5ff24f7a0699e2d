import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `fstatat` says of a file, reduced to what the catalog keeps.
public struct FileStat: Sendable, Equatable {
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtimeNanoseconds: Int64
    public var inode: UInt64
    public var device: UInt64
    /// Status-change time in nanoseconds since 1970: a rewrite moves it even when the
    /// mtime is put back (`touch -d`). 0 in rows catalogued before it was recorded.
    public var ctimeNanoseconds: Int64

    public init(size: Int64, mtimeNanoseconds: Int64, inode: UInt64, device: UInt64, ctimeNanoseconds: Int64 = 0) {
        self.size = size; self.mtimeNanoseconds = mtimeNanoseconds; self.inode = inode; self.device = device
        self.ctimeNanoseconds = ctimeNanoseconds
    }

    init(_ st: stat) {
        size = Int64(st.st_size)
        mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
        ctimeNanoseconds = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }

    public var mtime: Instant { Instant(microseconds: mtimeNanoseconds.floorDiv(1000)) }
    /// The status-change time, for messages.
    public var ctime: Instant { Instant(microseconds: ctimeNanoseconds.floorDiv(1000)) }

    /// True when the path (a root may be a symbolic link to one) is a directory.
    public static func isDirectory(path: PathBytes) throws(SystemError) -> Bool {
        var st = stat()
        let rc = (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { stat($0, &st) }
        }
        guard rc == 0 else { throw SystemError("stat", errno: errno, path: path) }
        return st.st_mode & S_IFMT == S_IFDIR
    }

    /// Stats a path without following a final symbolic link.
    public static func of(path: PathBytes) throws(SystemError) -> FileStat {
        var st = stat()
        let rc = (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { lstat($0, &st) }
        }
        guard rc == 0 else { throw SystemError("lstat", errno: errno, path: path) }
        return FileStat(st)
    }
}

/// One directory as the walker read it.
public struct DirectoryListing: Sendable {
    /// Index of the root in the list the walk was given.
    public var root: Int
    /// Path relative to the root, "" for the root itself.
    public var relative: PathBytes
    /// Absolute path.
    public var path: PathBytes
    public var files: [(name: PathBytes, stat: FileStat)]
    /// False when reading stopped part-way: missing names must not be taken as gone.
    public var complete: Bool
    /// The directory, open while `visit` runs (and only then): files in it are opened
    /// relative to it, without walking the whole path again.
    public var descriptor: Int32 = -1
}

/// A problem met while walking; the walk goes on without that entry.
public struct WalkError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case unreadable, loop, fileVanished, stat, danglingLink }
    public var root: Int
    public var relative: PathBytes
    public var kind: Kind
    public var error: SystemError
    /// What a dangling link points at.
    public var target: PathBytes?

    public var description: String {
        switch kind {
        case .loop: "\(error.path.displayPath): symbolic link loop, or a second path to a directory already walked; skipped"
        case .danglingLink:
            "\(error.path.displayPath): dangling symbolic link: its target \(target.map { "'\($0.displayPath)' " } ?? "")does not exist; skipped"
        default: error.description
        }
    }
}

/// How to walk; every option has a default a nightly scan can use.
public struct WalkOptions: Sendable {
    /// Worker threads; each reads, stats and processes whole directories.
    public var threads: Int = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
    /// The most worker threads a walk starts, whatever `threads` says.
    public static let maxThreads = 256
    /// Follow symbolic links to directories and files (off: symlinks are counted and skipped).
    public var followSymlinks = false
    /// Directories (root index, relative path) not to enter, e.g. ignored `.snapshot/**`.
    public var skipDirectory: (@Sendable (Int, PathBytes) -> Bool)?

    public init() {}
}

/// A parallel directory walker: `getdents64` through `readdir`, then `fstatat` per entry.
///
/// Whole directories are the unit of work, handed to `visit` on the worker that read
/// them, so per-directory work (classifying, looking up the catalog) runs in parallel too.
/// Errors are values in the stream; a failure on one entry never stops the walk.
public final class Walker: @unchecked Sendable {
    public let roots: [PathBytes]
    public let options: WalkOptions

    private let condition = NSCondition()
    private var stack: [(root: Int, relative: PathBytes)] = []
    private var active = 0
    private var visited = Set<DirKey>()   // only when following symlinks
    private var stopped = false
    public private(set) var symlinksSkipped = 0
    /// Seconds the workers spent reading directories and stating entries, summed over them.
    public private(set) var readSeconds = 0.0
    /// CPU seconds of the worker threads, visits included (known once `run` returns).
    public private(set) var cpuSeconds = 0.0

    private struct DirKey: Hashable { var dev: UInt64; var ino: UInt64 }

    public init(roots: [PathBytes], options: WalkOptions = WalkOptions()) {
        self.roots = roots
        self.options = options
    }

    /// Asks the workers to stop after the directories they are reading.
    public func stop() {
        condition.lock(); stopped = true; condition.broadcast(); condition.unlock()
    }

    public var wasStopped: Bool { condition.lock(); defer { condition.unlock() }; return stopped }

    /// Walks every root; returns when all directories were visited (or `stop` was called).
    /// `visit(listing, worker)` and `failed(error)` are called on worker threads.
    public func run(visit: @escaping @Sendable (DirectoryListing, Int) -> Void,
                    failed: @escaping @Sendable (WalkError) -> Void) {
        stack = roots.indices.reversed().map { ($0, []) }
        let group = DispatchGroup()
        for worker in 0..<min(max(1, options.threads), WalkOptions.maxThreads) {
            group.enter()
            let thread = Thread { [self] in
                self.work(worker, visit: visit, failed: failed)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
    }

    private func work(_ worker: Int, visit: @Sendable (DirectoryListing, Int) -> Void, failed: @Sendable (WalkError) -> Void) {
        var readNanos: UInt64 = 0
        while true {
            condition.lock()
            while stack.isEmpty && active > 0 && !stopped { condition.wait() }
            if stack.isEmpty || stopped {
                cpuSeconds += PhaseClock.threadCPU()
                readSeconds += Double(readNanos) / 1e9
                condition.broadcast()
                condition.unlock()
                return
            }
            let item = stack.removeLast()
            active += 1
            condition.unlock()

            let started = PhaseClock.now()
            let (listing, subdirs, errors, skipped, dir) = read(root: item.root, relative: item.relative)
            readNanos &+= PhaseClock.now() &- started
            for e in errors { failed(e) }
            if let listing { visit(listing, worker) }
            if let dir { closedir(dir) }

            condition.lock()
            symlinksSkipped += skipped
            for d in subdirs.reversed() where options.skipDirectory?(item.root, d) != true {
                stack.append((item.root, d))
            }
            active -= 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Reads one directory: its files with their stats, and its subdirectories. The
    /// directory stream is returned open, for the caller to close after the visit.
    private func read(root: Int, relative: PathBytes) -> (DirectoryListing?, [PathBytes], [WalkError], Int, OpaquePointer?) {
        let path = relative.isEmpty ? roots[root] : roots[root].appendingComponent(relative)
        var errors: [WalkError] = []
        func fail(_ kind: WalkError.Kind, _ call: String, _ err: Int32, _ p: PathBytes, _ rel: PathBytes, target: PathBytes? = nil) {
            errors.append(WalkError(root: root, relative: rel, kind: kind, error: SystemError(call, errno: err, path: p), target: target))
        }
        let fd = openDirectory(root: root, relative: relative, path: path)
        guard fd >= 0 else {
            fail(.unreadable, "open", -fd, path, relative)
            return (nil, [], errors, 0, nil)
        }
        if options.followSymlinks {
            var st = stat()
            if fstat(fd, &st) == 0 {
                let key = DirKey(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
                condition.lock()
                let fresh = visited.insert(key).inserted
                condition.unlock()
                if !fresh {
                    close(fd)
                    fail(.loop, "open", ELOOP, path, relative)
                    return (nil, [], errors, 0, nil)
                }
            }
        }
        guard let dir = fdopendir(fd) else {
            fail(.unreadable, "fdopendir", errno, path, relative)
            close(fd)
            return (nil, [], errors, 0, nil)
        }
        let dfd = dirfd(dir)

        var files: [(name: PathBytes, stat: FileStat)] = []
        var subdirs: [PathBytes] = []
        var skipped = 0
        var complete = true
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 {
                    complete = false
                    fail(.unreadable, "readdir", errno, path, relative)
                }
                break
            }
            let name: PathBytes = withUnsafePointer(to: &ent.pointee.d_name) { p in
                p.withMemoryRebound(to: UInt8.self, capacity: 256) { Array(UnsafeBufferPointer(start: $0, count: strlen(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)))) }
            }
            if name == [46] || name == [46, 46] { continue }
            var type = Int32(ent.pointee.d_type)
            var st = stat()
            var haveStat = false
            if type == Int32(DT_UNKNOWN) || type == Int32(DT_REG) || (type == Int32(DT_LNK) && options.followSymlinks) {
                let follow = type == Int32(DT_LNK) ? 0 : AT_SYMLINK_NOFOLLOW
                // The entry's own NUL-terminated name: no copy per file.
                let rc = withUnsafePointer(to: &ent.pointee.d_name) { p in
                    p.withMemoryRebound(to: CChar.self, capacity: 256) { fstatat(dfd, $0, &st, follow) }
                }
                if rc != 0 {
                    let e = errno
                    // A followed link whose target is missing: the link itself is still there.
                    if e == ENOENT && follow == 0, let target = Self.linkTarget(dfd, name) {
                        fail(.danglingLink, "stat", e, path.appendingComponent(name), relative, target: target)
                        continue
                    }
                    if e == ENOENT { continue }  // vanished between readdir and stat: it is simply not there
                    fail(.stat, "fstatat", e, path.appendingComponent(name), relative)
                    continue
                }
                haveStat = true
                switch st.st_mode & S_IFMT {
                case S_IFREG: type = Int32(DT_REG)
                case S_IFDIR: type = Int32(DT_DIR)
                case S_IFLNK: type = Int32(DT_LNK)
                default: type = Int32(DT_UNKNOWN)
                }
            }
            switch type {
            case Int32(DT_REG):
                if haveStat {
                    if files.isEmpty { files.reserveCapacity(32) }
                    files.append((name, FileStat(st)))
                }
            case Int32(DT_DIR):
                subdirs.append(relative.appendingComponent(name))
            case Int32(DT_LNK):
                skipped += 1
            default:
                break  // sockets, fifos, devices are not data
            }
        }
        return (DirectoryListing(root: root, relative: relative, path: path, files: files, complete: complete, descriptor: dfd),
                subdirs, errors, skipped, dir)
    }

    /// Opens a directory of the walk: a descriptor, or `-errno`.
    ///
    /// The root may itself be a symbolic link (a mount alias); nothing below it is followed
    /// unless asked. A path too long for one `open` (over PATH_MAX) is opened one component
    /// at a time below the root, with the same rule.
    private func openDirectory(root: Int, relative: PathBytes, path: PathBytes) -> Int32 {
        let below = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (options.followSymlinks ? 0 : O_NOFOLLOW)
        if path.count < Int(PATH_MAX) {
            let fd = Self.openAt(AT_FDCWD, path, relative.isEmpty ? O_RDONLY | O_DIRECTORY | O_CLOEXEC : below)
            return fd >= 0 ? fd : -errno
        }
        var fd = Self.openAt(AT_FDCWD, roots[root], O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        for component in relative.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            guard fd >= 0 else { break }
            let next = Self.openAt(fd, Array(component), below)
            let e = errno
            close(fd)
            fd = next
            errno = e
        }
        return fd >= 0 ? fd : -errno
    }

    private static func openAt(_ dir: Int32, _ path: PathBytes, _ flags: Int32) -> Int32 {
        (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { openat(dir, $0, flags) }
        }
    }

    /// The target of a symbolic link, or nil when `name` is no link.
    private static func linkTarget(_ dir: Int32, _ name: PathBytes) -> PathBytes? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let n = (name + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { cname in
                buffer.withUnsafeMutableBufferPointer { b in
                    b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { readlinkat(dir, cname, $0, b.count) }
                }
            }
        }
        return n >= 0 ? Array(buffer[..<n]) : nil
    }
}
