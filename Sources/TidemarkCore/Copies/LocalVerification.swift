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
        let from = Self.open(root), to = Self.open(destination)
        defer { if from >= 0 { close(from) }; if to >= 0 { close(to) } }
        guard from >= 0 else { return .source("cannot open \(root.displayPath): \(SystemError("open", errno: errno, path: root).reason)") }
        guard to >= 0 else {
            return errno == ENOENT ? .pending(files.count) : .destination("cannot open \(destination.displayPath): \(SystemError("open", errno: errno, path: destination).reason)")
        }
        let groups = Self.settableGroups()
        var pending = 0
        for file in files {
            let source: stat
            switch Self.status(from, file) {
            case .failure(let e): return .source("\(root.appendingComponent(file).displayPath): \(e.reason) (it changed during the copy)")
            case .success(let s): source = s
            }
            let copy: stat
            switch Self.status(to, file) {
            case .failure(let e) where e.errno == ENOENT || e.errno == ENOTDIR: pending += 1; continue
            case .failure(let e): return .destination("\(destination.appendingComponent(file).displayPath): \(e.reason)")
            case .success(let s): copy = s
            }
            if !same(source, copy, file: file, from: from, to: to, groups: groups) { pending += 1 }
        }
        return .pending(pending)
    }

    /// Whether `copy` is what `rsync -a` makes of `source` (a directory: only that it is one,
    /// as the dry run's count leaves out directories' attributes).
    private func same(_ source: stat, _ copy: stat, file: PathBytes, from: Int32, to: Int32, groups: Set<gid_t>) -> Bool {
        let type = source.st_mode & S_IFMT
        guard copy.st_mode & S_IFMT == type else { return false }
        if type == S_IFDIR { return true }
        // To the second, as rsync's quick check (it leaves a time of the same second as it is).
        guard source.st_size == copy.st_size, source.st_mtim.tv_sec == copy.st_mtim.tv_sec else { return false }
        if type == S_IFLNK { return Self.target(from, file) == Self.target(to, file) }
        guard source.st_mode & 0o7777 == copy.st_mode & 0o7777 else { return false }
        // As rsync: only root gives files their owner; others give the groups they are in.
        if geteuid() == 0 { return source.st_uid == copy.st_uid && source.st_gid == copy.st_gid }
        return !groups.contains(source.st_gid) || source.st_gid == copy.st_gid
    }

    private static func open(_ dir: PathBytes) -> Int32 {
        (dir + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { Glibc.open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        }
    }

    private static func status(_ dir: Int32, _ file: PathBytes) -> Result<stat, SystemError> {
        var st = stat()
        let r = (file + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { fstatat(dir, $0, &st, AT_SYMLINK_NOFOLLOW) }
        }
        return r == 0 ? .success(st) : .failure(SystemError("lstat", errno: errno, path: file))
    }

    private static func target(_ dir: Int32, _ file: PathBytes) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = (file + [0]).withUnsafeBufferPointer { p in
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
