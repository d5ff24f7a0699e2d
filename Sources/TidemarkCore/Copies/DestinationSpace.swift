import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How full a destination's file system is, and whether a dataset fits: at most `maxUsed`
/// used (IPP's 97 %), and room for the dataset plus a margin. Local hosts are asked with
/// statvfs; ssh hosts with `df -P -B1` run through ssh's argv.
public struct DestinationSpace: Sendable, Hashable {
    /// Bytes in use.
    public var used: Int64
    /// Bytes available to an unprivileged writer.
    public var available: Int64

    /// Space as measured.
    public init(used: Int64, available: Int64) { self.used = used; self.available = available }

    /// The fraction in use, as df's Capacity counts it (used over used plus available).
    public var usedFraction: Double { used + available > 0 ? Double(used) / Double(used + available) : 1 }

    /// Why `bytes` more (plus `margin`) may not go there, or nil when they may.
    public func refusal(adding bytes: Int64, margin: Int64, maxUsed: Double) -> String? {
        if usedFraction > maxUsed {
            return "the destination is \(Self.percent(usedFraction)) used (at most \(Self.percent(maxUsed)))"
        }
        if bytes + margin > available {
            return "no room: the dataset needs \(bytes) bytes plus a margin of \(margin), and \(available) are available"
        }
        let after = Double(used + bytes) / Double(max(1, used + available))
        if after > maxUsed {
            return "the destination would be \(Self.percent(after)) used after it (at most \(Self.percent(maxUsed)))"
        }
        return nil
    }

    /// The same space with `bytes` more used (what queued copies will take).
    public func adding(_ bytes: Int64) -> DestinationSpace {
        DestinationSpace(used: used + bytes, available: available - bytes)
    }

    static func percent(_ f: Double) -> String { String(format: "%.1f %%", f * 100) }

    /// The file system holding `path` (or its nearest existing ancestor: a destination is
    /// created by its first copy) on this machine.
    public static func local(_ path: PathBytes) throws(CopyFailure) -> DestinationSpace {
        var p = path
        while true {
            var v = statvfs()
            let rc = String(decoding: p, as: UTF8.self).withCString { statvfs($0, &v) }
            if rc == 0 {
                let f = Int64(v.f_frsize)
                return DestinationSpace(used: (Int64(v.f_blocks) - Int64(v.f_bfree)) * f, available: Int64(v.f_bavail) * f)
            }
            let e = errno
            guard e == ENOENT, let parent = parent(p) else {
                throw CopyFailure(.system, "cannot measure the space at \(path.displayPath): \(SystemError("statvfs", errno: e, path: path).reason)")
            }
            p = parent
        }
    }

    /// The file system holding `path` (or its nearest existing ancestor) on the host `shell`
    /// reaches: `df -P -B1` of the path and each of its ancestors, of which df reports those
    /// that exist, deepest first.
    public static func remote(_ path: PathBytes, shell: RemoteShell, timeout: Double) throws(CopyFailure) -> DestinationSpace {
        var candidates = [path]
        while let parent = parent(candidates.last!) { candidates.append(parent) }
        let argv = shell.argv(["df", "-P", "-B1", "--"] + candidates.map { String(decoding: $0, as: UTF8.self) })
        let outcome: ProcessRunner.Outcome
        do { outcome = try ProcessRunner(timeout: timeout).run(argv) } catch { throw CopyFailure(.configuration, error.description) }
        let lines = String(decoding: outcome.stdout, as: UTF8.self).split(separator: "\n").dropFirst()
        // df exits 1 for the ancestors that do not exist, and still reports the others.
        guard outcome.status != 255, !outcome.timedOut, let line = lines.first else {
            let fault = CopyFaults.fault(status: outcome.status, timedOut: outcome.timedOut, stderr: outcome.stderrTail) ?? .unknown
            throw CopyFailure(fault, "cannot measure the space at \(shell.host.name):\(path.displayPath) (ssh \(outcome.summary)): "
                              + outcome.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 6, let used = Int64(fields[2]), let available = Int64(fields[3]) else {
            throw CopyFailure(.unknown, "cannot read df's answer from \(shell.host.name): \(line)")
        }
        return DestinationSpace(used: used, available: available)
    }

    /// The directory holding `path`; nil at the root or for a relative single name.
    static func parent(_ path: PathBytes) -> PathBytes? {
        var p = path
        while p.count > 1 && p.last == UInt8(ascii: "/") { p.removeLast() }
        guard let slash = p.lastIndex(of: UInt8(ascii: "/")), p.count > 1 else { return nil }
        return slash == 0 ? [UInt8(ascii: "/")] : Array(p[..<slash])
    }
}

/// A copy that cannot be made, with its fault code and a message for the copy's record.
public struct CopyFailure: Error, Sendable, CustomStringConvertible {
    /// The IPP fault code.
    public var code: FaultCode
    /// What went wrong.
    public var message: String

    /// A failure with its code.
    public init(_ code: FaultCode, _ message: String) { self.code = code; self.message = message }

    public var description: String { message }
}
