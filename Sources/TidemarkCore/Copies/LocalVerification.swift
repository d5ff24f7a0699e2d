import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Verifies a copy to this machine in-process, comparing what the verifying dry run without
/// `--checksum` compares: each file at the destination is of the source's type, size and
/// modification time (to the second, as rsync compares it), has its permissions, the owner
/// and group that `rsync -a` could give it, and a symbolic link the same target. Two `fstatat`s a file,
/// where the dry run costs three process starts and a walk of both sides: for a batch of
/// 10,000 small files that is most of what verifying costs. `LocalVerificationTests` shows
/// it counts the same files as the dry run for each kind of difference.
struct LocalVerification {
    /// What the comparison found.
    enum Finding: Equatable {
        /// This many files differ or are missing at the destination (0: verified).
        case pending(Int)
        /// A source could not be read back (gone, or unreadable): the copy's data is in doubt.
        case source(String)
        /// The destination could not be read back.
        case destination(String)
    }

    let root: PathBytes
    let destination: PathBytes

    /// Compares `files` (relative to `root`) with their copies under `destination`.
    func compare(_ files: [PathBytes]) -> Finding {
        let from = Self.open(root, in: AT_FDCWD)
        guard from >= 0 else { return .source("cannot open \(root.displayPath): \(SystemError("open", errno: errno, path: root).reason)") }
        defer { close(from) }
        let to = Self.open(destination, in: AT_FDCWD)
        guard to >= 0 else {
            return errno == ENOENT ? .pending(files.count) : .destination("cannot open \(destination.displayPath): \(SystemError("open", errno: errno, path: destination).reason)")
        }
        defer { close(to) }
        let groups = Self.settableGroups()
        // A dataset's files share a directory, opened once on each side (a file's own
        // lookup is then one name, not its whole path).
        var source = Directory(base: from), copy = Directory(base: to)
        defer { source.close(); copy.close() }
        var pending = 0
        for file in files {
            let (dir, name) = Self.split(file)
            let s: stat
            switch Self.status(source.descriptor(for: dir), name, file) {
            case .failure(let e): return .source("\(root.appendingComponent(file).displayPath): \(e.reason) (it changed during the copy)")
            case .success(let st): s = st
            }
            let c: stat
            switch Self.status(copy.descriptor(for: dir), name, file) {
            case .failure(let e) where e.errno == ENOENT || e.errno == ENOTDIR: pending += 1; continue
            case .failure(let e): return .destination("\(destination.appendingComponent(file).displayPath): \(e.reason)")
            case .success(let st): c = st
            }
            if !same(s, c, name: name, from: source.descriptor(for: dir).fd, to: copy.descriptor(for: dir).fd, groups: groups) { pending += 1 }
        }
        return .pending(pending)
    }

    /// The directory of the files being compared, kept open while they follow one another.
    private struct Directory {
        let base: Int32
        var path: PathBytes? = nil
        var fd: Int32 = -1
        /// Why it could not be opened.
        var failure: Int32 = 0

        init(base: Int32) { self.base = base }

        /// A descriptor for `dir` below the base (the base itself for no directory), or -1 and
        /// why it cannot be opened.
        mutating func descriptor(for dir: PathBytes) -> (fd: Int32, errno: Int32) {
            if dir.isEmpty { return (base, 0) }
            if dir != path {
                close()
                path = dir
                fd = LocalVerification.open(dir, in: base)
                failure = fd < 0 ? errno : 0
            }
            return (fd, failure)
        }

        mutating func close() { if fd >= 0 { Glibc.close(fd) }; fd = -1; path = nil }
    }

    /// Whether `copy` is what `rsync -a` makes of `source` (a directory: only that it is one,
    /// as the dry run's count leaves out directories' attributes).
    private func same(_ source: stat, _ copy: stat, name: PathBytes, from: Int32, to: Int32, groups: Set<gid_t>) -> Bool {
        let type = source.st_mode & S_IFMT
        guard copy.st_mode & S_IFMT == type else { return false }
        if type == S_IFDIR { return true }
        // To the second, as rsync's quick check (it leaves a time of the same second as it is).
        guard source.st_size == copy.st_size, source.st_mtim.tv_sec == copy.st_mtim.tv_sec else { return false }
        if type == S_IFLNK { return Self.target(from, name) == Self.target(to, name) }
        guard source.st_mode & 0o7777 == copy.st_mode & 0o7777 else { return false }
        // As rsync: only root gives files their owner; others give the groups they are in.
        if geteuid() == 0 { return source.st_uid == copy.st_uid && source.st_gid == copy.st_gid }
        return !groups.contains(source.st_gid) || source.st_gid == copy.st_gid
    }

    /// `dir` (relative to `base`, or absolute) opened to look names up in.
    static func open(_ dir: PathBytes, in base: Int32) -> Int32 {
        (dir + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { openat(base, $0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        }
    }

    /// The file's directory and its name (no directory: empty).
    private static func split(_ file: PathBytes) -> (PathBytes, PathBytes) {
        guard let slash = file.lastIndex(of: UInt8(ascii: "/")) else { return ([], file) }
        return (Array(file[..<slash]), Array(file[(slash + 1)...]))
    }

    /// `name`'s status in `dir`; a directory that could not be opened fails it with why.
    private static func status(_ dir: (fd: Int32, errno: Int32), _ name: PathBytes, _ file: PathBytes) -> Result<stat, SystemError> {
        guard dir.fd >= 0 else { return .failure(SystemError("lstat", errno: dir.errno, path: file)) }
        var st = stat()
        let r = (name + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { fstatat(dir.fd, $0, &st, AT_SYMLINK_NOFOLLOW) }
        }
        return r == 0 ? .success(st) : .failure(SystemError("lstat", errno: errno, path: file))
    }

    private static func target(_ dir: Int32, _ name: PathBytes) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = (name + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { name in
                buffer.withUnsafeMutableBytes { readlinkat(dir, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
            }
        }
        return n < 0 ? nil : Array(buffer[..<n])
    }

    /// The groups this process may give a file.
    private static func settableGroups() -> Set<gid_t> {
        var list = [gid_t](repeating: 0, count: Int(getgroups(0, nil)) + 1)
        let n = getgroups(Int32(list.count), &list)
        return Set(list.prefix(max(0, Int(n)))).union([getegid()])
    }
}
