import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One policy run at a time per catalog: an exclusive `flock` on `<catalog>.lock`, held
/// for the whole run and released by the kernel even when the process is killed.
///
/// Executing and settling the journal take a lock as an argument, so neither can run
/// without one.
public final class PolicyLock: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    /// Takes the lock or throws `.locked` at once (it never waits).
    public init(catalogPath: String) throws(PolicyError) {
        path = catalogPath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .lockUnavailable(SystemError("open", errno: errno, path: path.pathBytes)) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let e = errno
            let holder = Self.holder(fd)
            close(fd)
            if e == EWOULDBLOCK { throw .locked(lockFile: path, holder: holder) }
            throw .lockUnavailable(SystemError("flock", errno: e, path: path.pathBytes))
        }
        self.fd = fd
        // Who holds it, for the message a second run prints.
        var host = [UInt8](repeating: 0, count: 256)
        _ = host.withUnsafeMutableBufferPointer { p in p.withMemoryRebound(to: CChar.self) { gethostname($0.baseAddress!, 255) } }
        let name = String(decoding: host.prefix { $0 != 0 }, as: UTF8.self)
        let note = Array("pid \(getpid()) on \(name) since \(Instant(secondsSince1970: Date().timeIntervalSince1970).iso8601)\n".utf8)
        _ = ftruncate(fd, 0)
        _ = note.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }

    private static func holder(_ fd: Int32) -> String? {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return String(decoding: buf[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A policy run that cannot start or cannot go on; per-file problems are not these.
public enum PolicyError: Error, Sendable, CustomStringConvertible {
    /// Another run holds the catalog's lock.
    case locked(lockFile: String, holder: String?)
    case lockUnavailable(SystemError)
    /// The policy does not fit the catalog (unknown context or category), located in its file.
    case configuration(DefinitionError)
    case catalog(CatalogError)
    /// The catalog failed part-way through an execution: `removed` files (`bytes`) were
    /// removed, their intents journaled but not their results, until the next run settles them.
    case interrupted(run: Int64, removed: Int, bytes: Int64, cause: CatalogError)
    /// A root of the context cannot be opened or measured.
    case root(SystemError)

    public var description: String {
        switch self {
        case .locked(let file, let holder):
            "another policy run holds \(file)\(holder.map { " (\($0))" } ?? ""); only one runs at a time per catalog. Nothing was changed; try again when it has finished"
        case .lockUnavailable(let e): "cannot take the policy lock: \(e)"
        case .configuration(let e): e.description
        case .catalog(let e): e.description
        case .interrupted(let run, let removed, let bytes, let cause):
            "\(cause.description)\nRun #\(run) stopped part-way"
                + (removed == 0 ? " before removing any file" : " after it had removed \(removed) file\(removed == 1 ? "" : "s") (\(bytes) bytes)")
                + ", which the catalog does not show as removed yet: the next `--yes` run settles its journal (checks each file on disk and records it) before anything else"
        case .root(let e): "cannot use root \(e.path.displayPath): \(e.reason)"
        }
    }
}
