import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a worker does with one batch of copies claimed for one host: group them by root and
/// destination, check the room, send each group in one rsync (each dataset alone if the group
/// fails), verify, and record every copy's outcome under its claim's token.
struct HostCopies {
    let runner: CopyRunner
    let store: any CopyStore & HostStore
    let host: HostRecord

    private var options: CopyRunner.Options { runner.options }
    private var shell: RemoteShell? { RemoteShell(host: host.host, configFile: options.sshConfig) }
    private var rsync: RsyncCommand { RsyncCommand(program: options.rsync, shell: shell, checksum: options.checksum) }

    /// A claimed copy and its dataset's files.
    private struct Item {
        var claim: CopyClaim
        var source: CopySource
    }

    /// Runs `claims` (all of `host`) and returns how each ended; a claim lost meanwhile to
    /// another runner is left out (it records nothing).
    func run(_ claims: [CopyClaim]) throws -> [CopyRunner.Result] {
        var results: [CopyRunner.Result] = []
        var groups: [[Item]] = []
        var groupOf: [String: Int] = [:]
        for c in claims {
            let sources: [CopySource]
            do { sources = try store.copySources(dataset: c.dataset) } catch {
                results += try finish([c], .fault(.system, bytes: 0, seconds: 0, message: "cannot read the dataset's files from the catalog: \(error)"))
                continue
            }
            guard sources.count == 1, let source = sources.first else {
                let why = sources.isEmpty
                    ? "dataset '\(c.datasetName)' has no live files in the catalog: nothing to copy (scan it again, or drop the copy)"
                    : "dataset '\(c.datasetName)' has files under \(sources.count) roots (\(sources.map(\.root.displayPath).joined(separator: ", "))); "
                        + "a copy sends one root's files: make the definition's dataset template name the root"
                results += try finish([c], .fault(sources.isEmpty ? .data : .configuration, bytes: 0, seconds: 0, message: why))
                continue
            }
            let key = source.root.hexBytes + "/" + c.path.hexBytes
            if let g = groupOf[key] { groups[g].append(Item(claim: c, source: source)) } else {
                groupOf[key] = groups.count
                groups.append([Item(claim: c, source: source)])
            }
        }
        for g in groups { results += try send(g, first: true) }
        return results
    }

    /// Sends `items` (one root, one destination) in one rsync and verifies them; on failure,
    /// a group of several is sent again one dataset at a time, so each gets its own outcome
    /// (those retries, `first` false, neither check the room again nor call `beforeRsync`).
    private func send(_ items: [Item], first: Bool) throws -> [CopyRunner.Result] {
        var results: [CopyRunner.Result] = []
        var going = items
        let root = items[0].source.root, destination = items[0].claim.path
        if first {
            going = []
            let space: DestinationSpace
            do { space = try measure(destination) } catch {
                return try finish(items.map(\.claim), .fault(error.code, bytes: 0, seconds: 0, message: error.message))
            }
            var s = space
            for item in items {
                if let why = s.refusal(adding: item.source.bytes, margin: options.limits.margin, maxUsed: options.limits.maxUsed) {
                    results += try finish([item.claim], .fault(.system, bytes: 0, seconds: 0, message: "\(host.host.name):\(destination.displayPath): \(why)"))
                } else {
                    s = s.adding(item.source.bytes)
                    going.append(item)
                }
            }
            if going.isEmpty { return results }
        }
        if first { options.beforeRsync?(going.map(\.claim)) }
        var claims = going.map(\.claim)
        let started = Date()
        let attempt = transfer(root: root, files: going.flatMap(\.source.files), destination: destination, claims: &claims)
        let seconds = Date().timeIntervalSince(started)
        if attempt.lost { return results }
        let bytes = going.map(\.source.bytes)
        if attempt.fault == nil {
            if let pending = attempt.pending, pending == 0 {
                for (i, c) in claims.enumerated() {
                    results += try finish([c], .full(bytes: bytes[i], seconds: seconds / Double(claims.count), verified: true,
                                                     message: attempt.message.isEmpty ? nil : attempt.message))
                }
                return results
            }
        }
        if going.count > 1 {
            // Which of them failed is not known: each alone (what the batch sent is not sent again).
            for var item in going {
                item.claim = claims.first { $0.id == item.claim.id } ?? item.claim
                results += try send([item], first: false)
            }
            return results
        }
        let fault = attempt.fault ?? .data
        return results + (try finish(claims, .fault(fault, bytes: 0, seconds: seconds, message: attempt.message)))
    }

    /// How one rsync and its verification went.
    private struct Attempt {
        var fault: FaultCode?
        /// Files the verifying dry run would still send (nil: not verified).
        var pending: Int?
        var message: String
        /// The claims were lost to another runner: nothing may be recorded.
        var lost = false
    }

    /// Runs rsync for `files` and, when it succeeds, the verifying dry run; renews the claims'
    /// leases while they run.
    private func transfer(root: PathBytes, files: [PathBytes], destination: PathBytes, claims: inout [CopyClaim]) -> Attempt {
        let list: String
        do { list = try Self.writeList(files) } catch { return Attempt(fault: .system, message: "\(error)") }
        defer { unlink(list) }
        var lost = false
        var nextRenewal = Date().addingTimeInterval(Double(options.lease) / 3e6)
        var held = claims
        // Renews the leases a third of the way through; false (stop rsync) once one is lost.
        func tick() -> Bool {
            guard Date() >= nextRenewal else { return true }
            do { held = try store.renewCopies(held, lease: options.lease) } catch {
                if error.kind == .leaseLost { lost = true; return false }
                return true  // the catalog is unreachable for now: the lease may still hold
            }
            nextRenewal = Date().addingTimeInterval(Double(options.lease) / 3e6)
            return true
        }
        let runner = ProcessRunner(timeout: options.timeout)
        let copy: ProcessRunner.Outcome
        do {
            var argv = rsync.copy(root: root, list: list, destination: destination)
            argv.insert(contentsOf: options.extraRsyncArguments, at: 1)
            copy = try runner.run(argv, tick: tick)
        } catch { claims = held; return Attempt(fault: .configuration, message: "\(error)") }
        claims = held
        if lost { return Attempt(message: "", lost: true) }
        if let fault = CopyFaults.fault(status: copy.status, timedOut: copy.timedOut, stderr: copy.stderrTail) {
            return Attempt(fault: fault, message: Self.message(copy, "rsync"))
        }
        let verify: ProcessRunner.Outcome
        do { verify = try runner.run(rsync.verify(root: root, list: list, destination: destination), tick: tick) } catch {
            claims = held
            return Attempt(fault: .configuration, message: "\(error)")
        }
        claims = held
        if lost { return Attempt(message: "", lost: true) }
        if let fault = CopyFaults.fault(status: verify.status, timedOut: verify.timedOut, stderr: verify.stderrTail) {
            return Attempt(fault: fault, message: Self.message(verify, "verifying rsync"))
        }
        let pending = RsyncCommand.pending(verify.stdout)
        return Attempt(fault: nil, pending: pending,
                       message: pending == 0 ? "" : "verification: a dry run would still send \(pending) file(s): the source changed during the copy")
    }

    /// The space at `destination` on the host.
    private func measure(_ destination: PathBytes) throws(CopyFailure) -> DestinationSpace {
        if let shell { return try DestinationSpace.remote(destination, shell: shell, timeout: min(options.timeout ?? 60, 60)) }
        return try DestinationSpace.local(destination)
    }

    /// Records `outcome` for each claim; a claim lost to another runner is left out.
    private func finish(_ claims: [CopyClaim], _ outcome: CopyOutcome) throws -> [CopyRunner.Result] {
        var out: [CopyRunner.Result] = []
        for c in claims {
            do { try store.finishCopy(c, outcome, at: Instant(secondsSince1970: Date().timeIntervalSince1970)) } catch {
                if error.kind == .leaseLost { continue }
                throw error
            }
            out.append(CopyRunner.Result(claim: c, outcome: outcome))
        }
        return out
    }

    /// "rsync: exit status 23: <its last words>".
    private static func message(_ o: ProcessRunner.Outcome, _ what: String) -> String {
        let words = o.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
        return "\(what): \(o.summary)" + (words.isEmpty ? "" : ": " + words)
    }

    /// Writes `files` NUL-separated (rsync's `--from0 --files-from`) to a new private file.
    private static func writeList(_ files: [PathBytes]) throws -> String {
        var template = Array((NSTemporaryDirectory() + "/tidemark-copy-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw CopyFailure(.system, "cannot write rsync's file list: \(SystemError("mkstemp", errno: errno, path: []).reason)") }
        defer { close(fd) }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var bytes: [UInt8] = []
        for f in files { bytes += f; bytes.append(0) }
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                unlink(path)
                throw CopyFailure(.system, "cannot write rsync's file list \(path): \(SystemError("write", errno: e, path: []).reason)")
            }
            done += n
        }
        return path
    }
}
