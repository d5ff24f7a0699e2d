import Foundation
import Synchronization

/// A scan that could not run or could not finish; per-file problems are not these.
public enum ScanError: Error, Sendable, CustomStringConvertible {
    case noRoots(context: String)
    case rootUnavailable(SystemError)
    case rootNotDirectory(PathBytes)
    /// A root that is, holds or lies inside another root (of this scan or of the catalog).
    case rootsOverlap(RootConflict)
    /// A catalogued root that is not the directory catalogued, or is gone: nothing was
    /// scanned or marked missing under it.
    case knownRootUnavailable(RootState)
    case catalog(CatalogError)
    /// Another scan of the context, or a policy run on it, is running.
    case busy(LockConflict)
    /// The context's lock cannot be taken (a catalog the user cannot write).
    case lockUnavailable(SystemError)
    /// The crash guard's record beside the catalog is not Tidemark's own file.
    case readingRecord(OwnedFileError)

    public var description: String {
        switch self {
        case .noRoots(let c): "context '\(c)' has no roots: give one with --scan DIR or set `roots` in its definition"
        case .rootUnavailable(let e): "cannot scan root \(e.path.displayPath): \(e.reason)"
        case .rootNotDirectory(let p): "cannot scan root \(p.displayPath): not a directory"
        case .rootsOverlap(let c): c.description
        case .knownRootUnavailable(let r):
            "root \(r.path.displayPath) of context \(r.context) is unavailable: \(r.unavailable ?? "not the directory catalogued"). "
                + "Nothing was scanned and no file was marked missing. \(r.remedy)"
        case .catalog(let e): e.description
        case .busy(let c): Self.busy(c)
        case .lockUnavailable(let e): CatalogLockError.describe(e)
        case .readingRecord(let e): "cannot use the crash guard's record beside the catalog: \(e)"
        }
    }

    private static func busy(_ c: LockConflict) -> String {
        guard case .context(let name) = c.region else { return "the catalog \(c.catalog) is busy; nothing was scanned" }
        let who = c.holder.map { $0.holder == "scan" ? "another scan of \(name) is running (\($0.owner))" : "\($0.holder) (\($0.owner)) is running on \(name)" }
        return (who ?? "another run holds \(name)") + "; nothing was scanned. Try again when it has finished"
    }
}

/// How to scan.
public struct ScanOptions: Sendable {
    public var walk = WalkOptions()
    /// Read every file's time coverage again, changed or not.
    public var reread = false
    /// Changes held in memory before the writer must catch up.
    public var queueCapacity = 200_000
    /// Changes per write transaction.
    public var batchSize = 20_000

    public init() {}
}

/// Walks a context's roots and brings its catalog up to date.
///
/// Workers walk, classify and compare each directory with the catalog in parallel; only
/// new and changed files have their coverage read; one writer applies the differences
/// in batched transactions. A file the catalog already holds, unchanged, costs one stat.
public struct Scanner: Sendable {
    public let catalog: any ScanStore
    public let definition: ContextDefinition
    public let roots: [PathBytes]
    public let resolver: CoverageResolver
    public let options: ScanOptions
    /// The roots were given with `--scan`, not read from the definition: they stay current
    /// (deleted from) until another scan completes.
    public let explicitRoots: Bool

    /// `explicitRoots` defaults to whether `roots` differ from the definition's.
    public init(catalog: any ScanStore, definition: ContextDefinition, roots: [PathBytes],
                resolver: CoverageResolver = CoverageResolver(), options: ScanOptions = ScanOptions(), explicitRoots: Bool? = nil) {
        self.catalog = catalog
        self.definition = definition
        self.roots = roots
        self.resolver = resolver
        self.options = options
        self.explicitRoots = explicitRoots ?? (roots != definition.roots.map(\.pathBytes))
    }

    /// Runs the scan. Throws only when it cannot run or cannot write; everything else is
    /// counted in the report. The clock is passed in for repeatable tombstone times.
    public func run(now: Instant = Instant(secondsSince1970: Date().timeIntervalSince1970),
                    progress: ScanProgress? = nil) throws(ScanError) -> ScanReport {
        let clock = ContinuousClock.now
        guard !roots.isEmpty else { throw .noRoots(context: definition.name) }
        let (probed, notes) = try admittedRoots()
        let roots = probed.map(\.probe.path)
        let lock = try ScanLock(catalog: catalog, context: definition.name)
        defer { withExtendedLifetime(lock) {} }
        // One record per context: scans of other contexts may run beside this one.
        let record: ReadingRecord
        do { record = try ReadingRecord(path: catalog.readingRecordPath(context: definition.name), workers: options.walk.threads) } catch {
            throw .readingRecord(error)
        }
        let session: ScanSession
        do { session = try catalog.beginScan(context: definition, roots: probed, explicit: explicitRoots, started: now) } catch { throw .catalog(error) }

        let classifier = Classifier(definition)
        var walkOptions = options.walk
        if !definition.ignore.isEmpty {
            walkOptions.skipDirectory = { _, rel in
                classifier.enter(directory: Self.components(rel)).isIgnoredEntirely
            }
        }
        let walker = Walker(roots: roots, options: walkOptions)
        let suspects: [PathBytes: ReadingSuspect]
        do { suspects = try catalog.strikeSuspects(record.leftBehind) } catch { throw .catalog(error) }
        let queue = BoundedQueue<DirectoryChanges>(capacity: options.queueCapacity)
        let shared = Mutex(Shared())
        let writer: any ScanBatchWriter
        do { writer = try catalog.makeWriter(session) } catch { throw .catalog(error) }
        let reclassify = session.reclassify || options.reread

        // The writer: one thread, batched transactions.
        let writerDone = DispatchSemaphore(value: 0)
        let writerError = Mutex<CatalogError?>(nil)
        let writerTimes = Mutex((busy: 0.0, cpu: 0.0, end: UInt64(0)))
        Thread.detachNewThread {
            var pending: [DirectoryChanges] = []
            var pendingCount = 0
            var busy: UInt64 = 0
            func flush() {
                guard !pending.isEmpty else { return }
                let started = PhaseClock.now()
                do { try writer.apply(pending) } catch {
                    writerError.withLock { $0 = $0 ?? error }
                    walker.stop()
                }
                busy &+= PhaseClock.now() &- started
                pending.removeAll(keepingCapacity: true)
                pendingCount = 0
            }
            var visited: [Int64] = []
            while let items = queue.popAll() {
                for c in items {
                    if let id = c.dirId { visited.append(id) }
                    if !c.isEmpty && writerError.withLock({ $0 == nil }) {
                        pending.append(c)
                        pendingCount += c.count
                        if pendingCount >= options.batchSize { flush() }
                    }
                }
                flush()
                writer.visited(visited)
                visited.removeAll(keepingCapacity: true)
            }
            let cpu = PhaseClock.threadCPU()
            writerTimes.withLock { $0 = (Double(busy) / 1e9, cpu, PhaseClock.now()) }
            writerDone.signal()
        }

        let walkStarted = PhaseClock.now()

        let workers = (0..<min(max(1, walkOptions.threads), WalkOptions.maxThreads)).map { _ in WorkerState() }
        walker.run(
            visit: { listing, worker in
                let state = workers[worker]
                let result = self.process(listing, worker: worker, state: state, record: record, suspects: suspects, session: session,
                                          classifier: classifier, reclassify: reclassify, progress: progress)
                switch result {
                case .success(let (changes, report)):
                    progress?.add(files: report.files, bytes: report.bytes, new: report.new, changed: report.changed, errors: report.errors)
                    state.report.merge(report)
                    if !listing.complete { shared.withLock { $0.unreadable[listing.root, default: []].append(listing.relative) } }
                    // Unchanged directories stay with their walker: the writer has nothing to do for them.
                    if let id = changes.dirId { state.visited.append(id) }
                    if !changes.isEmpty { queue.push(changes, weight: changes.count) }
                case .failure(let error):
                    writerError.withLock { $0 = $0 ?? error }
                    walker.stop()
                }
            },
            failed: { error in
                shared.withLock {
                    $0.report.errors += 1
                    $0.report.problems.append(.init(path: error.error.path, message: error.description))
                    if error.kind == .unreadable || error.kind == .loop {
                        $0.unreadable[error.root, default: []].append(error.relative)
                        if error.relative.isEmpty { $0.rootFailure = $0.rootFailure ?? error.error }
                    }
                }
            })
        let walkEnded = PhaseClock.now()
        queue.close()
        writerDone.wait()

        var (report, unreadable, rootFailure) = shared.withLock { ($0.report, $0.unreadable, $0.rootFailure) }
        for w in workers {
            report.merge(w.report)
            writer.visited(w.visited)
        }
        workers.forEach { $0.lookup = nil }
        let written = writerTimes.withLock { $0 }
        report.phases.walk = .init(wall: PhaseClock.seconds(walkStarted, walkEnded), workerSeconds: walker.readSeconds, cpu: walker.cpuSeconds)
        report.phases.write = .init(wall: written.busy, cpu: written.cpu, afterWalk: PhaseClock.seconds(walkEnded, max(walkEnded, written.end)))
        report.context = definition.name
        report.roots = roots.map(\.displayPath)
        report.notes = notes
        report.symlinksSkipped = walker.symlinksSkipped
        // A root unreadable, or no longer the directory admitted (unmounted meanwhile): its
        // files must not be taken for gone.
        let failure: ScanError? = if let e = writerError.withLock({ $0 }) { .catalog(e) }
            else if let rootFailure { .rootUnavailable(rootFailure) }
            else { probed.lazy.compactMap { self.changedRoot($0.probe) }.first }
        if let failure {
            report.seconds = (ContinuousClock.now - clock).seconds
            try? writer.record(report: report, status: .failed)
            throw failure
        }
        do {
            let finishing = PhaseClock.now()
            try catalog.clearSuspects(report.readSuspects)
            let listen = progress?.reportsFiles == true
            report.missing += try writer.finish(report: report, unreadable: unreadable, context: definition,
                                                readers: min(4, max(1, walkOptions.threads)),
                                                missing: listen ? { progress?.file(.missing, roots[$0].appendingComponent($1)) } : nil)
            report.phases.finish = .init(wall: PhaseClock.seconds(finishing, PhaseClock.now()))
            report.seconds = (ContinuousClock.now - clock).seconds
            try writer.record(report: report, status: .complete)
        } catch {
            throw .catalog(error)
        }
        return report
    }

    private struct Shared {
        var report = ScanReport()
        var unreadable: [Int: [PathBytes]] = [:]
        var rootFailure: SystemError?
    }

    /// What one walker thread keeps while the walk runs; only that thread touches it.
    private final class WorkerState: @unchecked Sendable {
        var lookup: (any DirectoryLookup)?
        var report = ScanReport()
        /// Catalogued directories this walker listed.
        var visited: [Int64] = []
    }

    /// Probes the roots, walks each directory once (a root given twice, or through a link,
    /// is one root), refuses roots inside one another, and matches them with the catalog.
    private func admittedRoots() throws(ScanError) -> ([AdmittedRoot], [String]) {
        var probed: [ProbedRoot] = []
        var notes: [String] = []
        for r in roots {
            let p: ProbedRoot
            do { p = try ProbedRoot(r) } catch {
                if let known = unavailableRoot(ProbedRoot.normalized(r)) { throw .knownRootUnavailable(known) }
                throw error.errno == ENOTDIR ? .rootNotDirectory(r) : .rootUnavailable(error)
            }
            if let twin = probed.first(where: { $0.identity == p.identity }), explicitRoots {
                if twin.path != p.path { notes.append("\(p.path.displayPath) is the same directory as \(twin.path.displayPath): walked once") }
                continue
            }
            for q in probed {
                let relation: RootConflict.Relation? = q.identity == p.identity ? .same
                    : p.ancestors.contains(q.identity) ? .inside : q.ancestors.contains(p.identity) ? .contains : nil
                if let relation {
                    throw .rootsOverlap(RootConflict(root: p.path, relation: relation, other: q.path, otherContext: nil,
                                                     fromDefinition: !explicitRoots, definitionFile: definition.file))
                }
            }
            probed.append(p)
        }
        do {
            let (admitted, more) = try catalog.admit(probed, definition: definition, fromDefinition: !explicitRoots)
            return (admitted, notes + more)
        } catch AdmissionError.conflict(let c) {
            throw .rootsOverlap(c)
        } catch AdmissionError.replaced(let path, _, _) {
            throw .knownRootUnavailable(unavailableRoot(path)!)
        } catch let e as CatalogError {
            throw .catalog(e)
        } catch {
            throw .catalog(CatalogError(path: catalog.path, message: "\(error)"))
        }
    }

    /// The catalogued root of this context at `path` when it is not available.
    private func unavailableRoot(_ path: PathBytes) -> RootState? {
        (try? catalog.rootStates(context: definition.name))?.first { $0.path == path && $0.unavailable != nil }
    }

    /// The root as a catalogued root that is no longer the directory the scan began with.
    private func changedRoot(_ p: ProbedRoot) -> ScanError? {
        if (try? RootIdentity.of(p.path)) == p.identity { return nil }
        return unavailableRoot(p.path).map { .knownRootUnavailable($0) } ?? .rootUnavailable(SystemError("stat", errno: ESTALE, path: p.path))
    }

    /// Compares one directory with the catalog and decides every difference.
    ///
    /// The directory's names, sorted, are merged with its catalogued files in name order,
    /// read in place from the walker's own connection: an unchanged file costs no copy.
    private func process(_ listing: DirectoryListing, worker: Int, state: WorkerState, record: ReadingRecord?,
                         suspects: [PathBytes: ReadingSuspect],
                         session: ScanSession, classifier: Classifier,
                         reclassify: Bool, progress: ScanProgress?) -> Result<(DirectoryChanges, ScanReport), CatalogError> {
        let started = PhaseClock.now()
        var report = ScanReport()
        report.directories = 1
        let files = listing.files.sorted { Self.precedes($0.name, $1.name) }
        // Files that are new or changed (the catalog's row, if any), and catalogued files not listed.
        var work: [(index: Int, old: CatalogedFile?)] = []
        var gone: [(id: Int64, name: PathBytes?)] = []
        var revived: [Int64] = []
        let dirId: Int64?
        let reportsFiles = progress?.reportsFiles == true
        do {
            if state.lookup == nil { state.lookup = try catalog.makeLookup() }
            dirId = try Self.compare(state.lookup!, root: session.rootIds[listing.root], listing: listing, files: files, reclassify: reclassify,
                                     progress: progress, report: &report, work: &work, gone: &gone, revived: &revived)
        } catch {
            return .failure(error)
        }
        let looked = PhaseClock.now()

        var changes = DirectoryChanges(root: listing.root, relative: listing.relative, dirId: dirId)
        changes.revived = revived
        var rules: Classifier.Directory?
        for (i, old) in work {
            let (name, stat) = files[i]
            if rules == nil { rules = classifier.enter(directory: Self.components(listing.relative)) }
            guard let c = rules!.classify(name) else { continue }
            let path = listing.path.appendingComponent(name)
            var input = CoverageInput(path: path, stat: stat, classification: c,
                                      directory: listing.descriptor >= 0 ? (listing.descriptor, name) : nil)
            let resolved: ResolvedCoverage
            // Strikes count only while the file is as it was when the scans died.
            let suspect = suspects.isEmpty ? nil : suspects[path]
            let strikes = suspect.map { $0.size == stat.size && $0.mtime == stat.mtimeNanoseconds ? $0.strikes : 0 } ?? 0
            if strikes >= 2 && !options.reread {
                // Two scans in a row died reading this header: no header reader touches it again.
                input.classification.time.removeAll(where: Self.readsHeader)
                var r = resolver.resolve(input)
                r.error = "an earlier scan died while reading this file's header (a crash in the FITS, netCDF or HDF5 library): "
                    + "its header is not read again until the file changes; `tidemark scan --reread` tries once more"
                resolved = r
            } else if let record, c.time.contains(where: Self.readsHeader) {
                resolved = record.reading(path, stat: stat, worker: worker) { resolver.resolve(input) }
                if suspect != nil { report.readSuspects.append(path) }
            } else {
                resolved = resolver.resolve(input)
            }
            if let e = resolved.error, resolved.source == .mtime || resolved.coverage == nil {
                report.errors += 1
                report.problems.append(.init(path: path, message: e))
            }
            let meaning = changes.index(of: Meaning(category: c.category, stream: c.stream, dataset: c.dataset))
            let file = ScannedFile(name: name, stat: stat, meaning: meaning,
                                   coverage: resolved.coverage, source: resolved.source, error: resolved.error,
                                   notes: resolved.notes.isEmpty ? nil : resolved.notes.joined(separator: "; "))
            if let old { changes.updates.append((old, file)); report.changed += 1 } else { changes.inserts.append(file); report.new += 1 }
            progress?.file(old == nil ? .new : .changed, path)
            report.files += 1
            report.bytes += stat.size
        }
        // Names the catalog holds that the directory no longer lists.
        if listing.complete {
            for f in gone {
                changes.missing.append(f.id)
                if let name = f.name { progress?.file(.missing, listing.path.appendingComponent(name)) }
            }
            report.missing += changes.missing.count
        }
        report.phases.lookup.workerSeconds = PhaseClock.seconds(started, looked)
        report.phases.classify.workerSeconds = PhaseClock.seconds(looked, PhaseClock.now())
        return .success((changes, report))
    }

    /// Merges a directory's sorted names with its catalogued files: new and changed files go
    /// to `work`, catalogued ones not listed to `gone`, missing ones found again to `revived`.
    /// Returns the directory's id, nil when the catalog does not know it.
    private static func compare<L: DirectoryLookup>(
        _ lookup: L, root: Int64, listing: DirectoryListing, files: [(name: PathBytes, stat: FileStat)], reclassify: Bool,
        progress: ScanProgress?, report: inout ScanReport, work: inout [(index: Int, old: CatalogedFile?)],
        gone: inout [(id: Int64, name: PathBytes?)], revived: inout [Int64]
    ) throws(CatalogError) -> Int64? {
        let reportsFiles = progress?.reportsFiles == true
        return try lookup.directory(root: root, relative: listing.relative) { (c) throws(CatalogError) in
            for (i, (name, stat)) in files.enumerated() {
                var order = c.onRow ? c.compareName(name) : 1
                while order < 0 {
                    if c.state == .live { gone.append((c.id, reportsFiles ? c.name : nil)) }
                    try c.advance()
                    order = c.onRow ? c.compareName(name) : 1
                }
                guard order == 0 else { work.append((i, nil)); continue }
                let was = c.state
                if c.isUnchanged(stat), !reclassify, was == .live || was == .missing {
                    if was == .missing {
                        revived.append(c.id)
                        report.revived += 1
                        if reportsFiles { progress?.file(.back, listing.path.appendingComponent(name)) }
                    } else {
                        report.unchanged += 1
                    }
                    report.files += 1
                    report.bytes += stat.size
                } else {
                    work.append((i, c.file))
                }
                try c.advance()
            }
            while c.onRow {
                if c.state == .live { gone.append((c.id, reportsFiles ? c.name : nil)) }
                try c.advance()
            }
            return c.dirId
        }
    }

    /// Sources that open the file and read its header (what a crash in a C library can stop).
    static func readsHeader(_ source: TimeSource) -> Bool {
        switch source {
        case .fits, .netcdf, .nidas, .header: true
        default: false
        }
    }

    /// Byte order, as SQLite orders blobs: the catalog's rows come in this order.
    static func precedes(_ a: PathBytes, _ b: PathBytes) -> Bool {
        a.withUnsafeBytes { p in
            b.withUnsafeBytes { q in
                let common = min(p.count, q.count)
                let c = common == 0 ? 0 : memcmp(p.baseAddress!, q.baseAddress!, common)
                return c != 0 ? c < 0 : p.count < q.count
            }
        }
    }

    static func components(_ relative: PathBytes) -> [[UInt8]] {
        relative.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map(Array.init)
    }
}

extension Swift.Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
