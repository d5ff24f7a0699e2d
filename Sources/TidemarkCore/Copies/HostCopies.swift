import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a worker does with one batch of copies claimed for one host: group them by root and
/// destination, check the room, send each group in one rsync (each dataset alone if the group
/// fails), verify, and record every copy's outcome under its claim's token. Each copy is
/// journaled: its intent committed before its rsync, its result after — a group's intents in
/// one transaction, its outcomes in one and their results in one (the catalog's write lock is
/// taken a few times per rsync, not three times per dataset).
struct HostCopies {
    let runner: CopyRunner
    let store: any CopyStore & HostStore & ActionJournal
    let host: HostRecord

    private var options: CopyRunner.Options { runner.options }
    private var shell: RemoteShell? { RemoteShell(host: host.host, configFile: options.sshConfig) }
    private var rsync: RsyncCommand { RsyncCommand(program: options.rsync, shell: shell, checksum: options.checksum) }

    /// A claimed copy and its dataset's files.
    private struct Item {
        var claim: CopyClaim
        var source: CopySource
        /// What its files cost in rsync's argv; nil when they cannot go there (a list file).
        var arguments: Int?
    }

    /// What the datasets sent in one rsync share: a root, a destination, and how the files are named.
    private struct GroupKey: Hashable {
        var root: PathBytes
        var destination: PathBytes
        var inArguments: Bool
    }

    /// Runs `claims` (all of `host`) and returns how each ended; a claim lost meanwhile to
    /// another runner is left out (it records nothing).
    func run(_ claims: [CopyClaim]) throws -> [CopyRunner.Result] {
        let sources: [Int64: [CopySource]]
        do { sources = try store.copySources(datasets: claims.map(\.dataset)) } catch {
            return try finish(claims.map { ($0, .fault(.system, bytes: 0, seconds: 0, message: "cannot read the dataset's files from the catalog: \(error)")) })
        }
        var refused: [(claim: CopyClaim, outcome: CopyOutcome)] = []
        var groups: [[Item]] = []
        var open: [GroupKey: (group: Int, arguments: Int)] = [:]  // the group filling up
        for c in claims {
            let found = sources[c.dataset] ?? []
            guard found.count == 1, let source = found.first else {
                let why = found.isEmpty
                    ? "dataset '\(c.datasetName)' has no live files in the catalog: nothing to copy (scan it again, or drop the copy)"
                    : "dataset '\(c.datasetName)' has files under \(found.count) roots (\(found.map(\.root.displayPath).joined(separator: ", "))); "
                        + "a copy sends one root's files: make the definition's dataset template name the root"
                refused.append((c, .fault(found.isEmpty ? .data : .configuration, bytes: 0, seconds: 0, message: why)))
                continue
            }
            let item = Item(claim: c, source: source, arguments: RsyncFiles.argumentBytes(source.files, root: source.root))
            // Datasets whose names go in an argv share one until it is full; the others share a list file.
            let key = GroupKey(root: source.root, destination: c.path, inArguments: item.arguments != nil)
            let cost = item.arguments ?? 0
            if let g = open[key], item.arguments == nil || g.arguments + cost <= options.argumentBudget {
                groups[g.group].append(item)
                open[key] = (g.group, g.arguments + cost)
            } else {
                open[key] = (groups.count, cost)
                groups.append([item])
            }
        }
        var results = try finish(refused)
        for (i, g) in groups.enumerated() {
            results += try send(g, first: true, entries: [:], waiting: groups[(i + 1)...].flatMap { $0.map(\.claim) })
        }
        return results
    }

    /// Sends `items` (one root, one destination) in one rsync and verifies them; on failure,
    /// a group of several is sent again one dataset at a time, so each gets its own outcome
    /// (those retries, `first` false, neither check the room again nor call `beforeRsync`).
    /// The leases of `waiting` (the batch's copies sent after these) are renewed meanwhile.
    private func send(_ items: [Item], first: Bool, entries known: [Int64: Int64], waiting: [CopyClaim]) throws -> [CopyRunner.Result] {
        var results: [CopyRunner.Result] = []
        var going = items
        let root = items[0].source.root, destination = items[0].claim.path
        if first {
            going = []
            let space: DestinationSpace
            do { space = try measure(destination) } catch {
                return try finish(items.map { ($0.claim, .fault(error.code, bytes: 0, seconds: 0, message: error.message)) })
            }
            var s = space
            var refused: [(claim: CopyClaim, outcome: CopyOutcome)] = []
            for item in items {
                if let why = s.refusal(adding: item.source.bytes, margin: options.limits.margin, maxUsed: options.limits.maxUsed) {
                    refused.append((item.claim, .fault(.system, bytes: 0, seconds: 0, message: "\(host.host.name):\(destination.displayPath): \(why)")))
                } else {
                    s = s.adding(item.source.bytes)
                    going.append(item)
                }
            }
            results += try finish(refused)
            if going.isEmpty { return results }
        }
        // The intents, before rsync, in one transaction (a retry alone keeps the batch's).
        let entries = try journal(going.map(\.claim), known: known)
        if first { options.beforeRsync?(going.map(\.claim)) }
        var claims = going.map(\.claim)
        let started = Date()
        let inArguments = going.allSatisfy { $0.arguments != nil } && going.reduce(0) { $0 + ($1.arguments ?? 0) } <= options.argumentBudget
        let attempt = transfer(root: root, files: going.flatMap(\.source.files), inArguments: inArguments, destination: destination, claims: &claims,
                               waiting: waiting)
        let seconds = Date().timeIntervalSince(started)
        if attempt.lost {
            try store.writeResults(claims.compactMap { c in entries[c.id].map { ($0, ActionOutcome(.notDone, Self.lostWords)) } }, at: now())
            return results
        }
        let bytes = going.map(\.source.bytes)
        if attempt.fault == nil, let pending = attempt.pending, pending == 0 {
            let each = seconds / Double(claims.count), message = attempt.message.isEmpty ? nil : attempt.message
            return results + (try finish(claims.enumerated().map { i, c in (c, .full(bytes: bytes[i], seconds: each, verified: true, message: message)) },
                                         entries: entries))
        }
        if going.count > 1 {
            // Which of them failed is not known: each alone (what the batch sent is not sent again).
            for (i, var item) in going.enumerated() {
                item.claim = claims.first { $0.id == item.claim.id } ?? item.claim
                results += try send([item], first: false, entries: entries, waiting: going[(i + 1)...].map(\.claim) + waiting)
            }
            return results
        }
        let fault = attempt.fault ?? .data
        return results + (try finish(claims.map { ($0, .fault(fault, bytes: 0, seconds: seconds, message: attempt.message)) }, entries: entries))
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

    /// Runs rsync for `files` (named in its argv, else in a list file) and, when it succeeds,
    /// verifies it (in-process on this machine unless by checksum, else by the dry run); renews
    /// the claims' leases while they run, and those of `waiting`.
    private func transfer(root: PathBytes, files: [PathBytes], inArguments: Bool, destination: PathBytes, claims: inout [CopyClaim],
                          waiting: [CopyClaim]) -> Attempt {
        let named: RsyncFiles
        if inArguments { named = .arguments(files) } else {
            do { named = .listFile(try Self.writeList(files)) } catch { return Attempt(fault: .system, message: "\(error)") }
        }
        defer { if case .listFile(let list) = named { unlink(list) } }
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
            // Best effort: a waiting copy lost meanwhile records nothing when its turn comes.
            if !waiting.isEmpty { _ = try? store.renewCopies(waiting, lease: options.lease) }
            nextRenewal = Date().addingTimeInterval(Double(options.lease) / 3e6)
            return true
        }
        var runner = ProcessRunner(timeout: options.timeout)
        if inArguments { runner.workingDirectory = String(decoding: root, as: UTF8.self) }  // the paths are relative to it
        let copy: ProcessRunner.Outcome
        do {
            var argv = rsync.copy(root: root, files: named, destination: destination)
            argv.insert(contentsOf: options.extraRsyncArguments, at: 1)
            copy = try runner.run(argv, tick: tick)
        } catch { claims = held; return Attempt(fault: .configuration, message: "\(error)") }
        claims = held
        if lost { return Attempt(message: "", lost: true) }
        if let fault = CopyFaults.fault(status: copy.status, timedOut: copy.timedOut, stderr: copy.stderrTail) {
            return Attempt(fault: fault, message: Self.message(copy, "rsync"))
        }
        if shell == nil && !options.checksum {
            // This machine's files are compared in-process, as the dry run would compare them.
            switch LocalVerification(root: root, destination: destination).compare(files) {
            case .pending(let pending): return Attempt(fault: nil, pending: pending, message: pending == 0 ? "" : Self.changed(pending))
            case .source(let why): return Attempt(fault: .data, message: "verification: " + why)
            case .destination(let why): return Attempt(fault: .system, message: "verification: " + why)
            }
        }
        let verify: ProcessRunner.Outcome
        do { verify = try runner.run(rsync.verify(root: root, files: named, destination: destination), tick: tick) } catch {
            claims = held
            return Attempt(fault: .configuration, message: "\(error)")
        }
        claims = held
        if lost { return Attempt(message: "", lost: true) }
        if let fault = CopyFaults.fault(status: verify.status, timedOut: verify.timedOut, stderr: verify.stderrTail) {
            return Attempt(fault: fault, message: Self.message(verify, "verifying rsync"))
        }
        let pending = RsyncCommand.pending(verify.stdout)
        return Attempt(fault: nil, pending: pending, message: pending == 0 ? "" : Self.changed(pending))
    }

    /// Why `pending` files failed verification.
    private static func changed(_ pending: Int) -> String {
        "verification: \(pending) file(s) at the destination differ from the source (a dry run would send them again): the source changed during the copy"
    }

    /// The space at `destination` on the host.
    private func measure(_ destination: PathBytes) throws(CopyFailure) -> DestinationSpace {
        if let shell { return try DestinationSpace.remote(destination, shell: shell, timeout: min(options.timeout ?? 60, 60)) }
        return try DestinationSpace.local(destination)
    }

    /// Records each outcome and journals it (under the claim's intent in `entries`, else an
    /// intent written now): the intents, the outcomes and the results each in one transaction.
    /// A claim lost to another runner is left out.
    private func finish(_ done: [(claim: CopyClaim, outcome: CopyOutcome)], entries known: [Int64: Int64] = [:]) throws -> [CopyRunner.Result] {
        guard !done.isEmpty else { return [] }
        let entries = try journal(done.map(\.claim), known: known)
        let recorded: [Bool]
        do { recorded = try store.finishCopies(done, at: now()) } catch {
            // Nothing of the batch was recorded: its results say so (if the catalog takes them).
            try? store.writeResults(done.map { (entries[$0.claim.id]!, .failed("the catalog could not record the copy: \(error)")) }, at: now())
            throw error
        }
        var out: [CopyRunner.Result] = []
        var closes: [(entry: Int64, outcome: ActionOutcome)] = []
        for (d, ok) in zip(done, recorded) {
            closes.append((entries[d.claim.id]!, ok ? Self.journaled(d.outcome) : ActionOutcome(.notDone, Self.lostWords)))
            if ok { out.append(CopyRunner.Result(claim: d.claim, outcome: d.outcome)) }
        }
        try store.writeResults(closes, at: now())
        return out
    }

    /// `known` with an intent written now, in one transaction, for each of `claims` it lacks.
    private func journal(_ claims: [CopyClaim], known: [Int64: Int64]) throws -> [Int64: Int64] {
        var entries = known
        let missing = claims.filter { entries[$0.id] == nil }
        guard !missing.isEmpty else { return entries }
        for (c, id) in zip(missing, try store.writeIntents(missing.map(intent), at: now())) { entries[c.id] = id }
        return entries
    }

    /// A lost claim's journal result.
    private static let lostWords = "the claim was lost to another runner; it records the copy"

    /// The journal's intent for the copy `c`.
    private func intent(_ c: CopyClaim) -> ActionIntent {
        ActionIntent(kind: .copy, subject: .copy(c.id, dataset: c.dataset), detail: "\(c.datasetName) to \(c.host):\(c.path.displayPath)",
                     by: "copy run \(c.worker)", target: CopyState.full.rawValue)
    }

    /// A copy's outcome as its journal result.
    static func journaled(_ outcome: CopyOutcome) -> ActionOutcome {
        switch outcome {
        case .full(let bytes, let seconds, let verified, _):
            return .done("full: \(bytes) bytes in \(String(format: "%.2f", seconds)) s\(verified ? ", verified" : "")")
        case .fault(let code, _, _, let message): return .failed("fault \(code.rawValue) (\(code.name)): \(message)")
        case .requeue(let message): return ActionOutcome(.notDone, message)
        }
    }

    private func now() -> Instant { Instant(secondsSince1970: Date().timeIntervalSince1970) }

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
        defer { Glibc.close(fd) }
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
