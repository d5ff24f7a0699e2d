/// Resolves a request against the catalog: which files it needs, which purged ones get a
/// dependent, and whether it faults because something cannot come back.
public struct RequestResolver: Sendable {
    public let store: any RequestStore & CatalogListing
    /// The categories of each context that have an update command (from its definition; a
    /// context whose definition is not found has none).
    public let updatable: @Sendable (String) -> Set<String>

    /// A resolver over `store`, with the update commands `updatable` names per context.
    public init(store: any RequestStore & CatalogListing, updatable: @escaping @Sendable (String) -> Set<String>) {
        self.store = store; self.updatable = updatable
    }

    /// Resolves the `new` request `request` and records the outcome (nothing when it is no
    /// longer `new`); returns the request as it is now.
    @discardableResult
    public func resolve(_ request: RequestRecord, at: Instant, by: String) throws(CatalogError) -> RequestRecord {
        try resolve([request], at: at, by: by).first ?? request
    }

    /// Resolves the `new` requests of `requests` in one pass and one transaction (one no
    /// longer `new` is left as it is); returns them as they are now, in order.
    public func resolve(_ requests: [RequestRecord], at: Instant, by: String) throws(CatalogError) -> [RequestRecord] {
        try record(requests.map { PendingRequest(id: $0.id, spec: $0.spec) }, at: at, by: by)
    }

    /// Resolves every `new` request, oldest first, in one pass; returns them as they are now.
    public func resolveNew(at: Instant, by: String) throws(CatalogError) -> [RequestRecord] {
        try resolve(try store.requests(RequestFilter(state: .new)), at: at, by: by)
    }

    /// Adds requests and resolves them — one transaction adds them all, one more resolves
    /// them (per `batch` requests) — a malformed one (`malformed` says why) faulted at once;
    /// returns them as they are now, in order. What `request add` does, for one request or a
    /// request file's rows.
    public func add(_ items: [(spec: RequestSpec, malformed: String?)], at: Instant, by: String) throws(CatalogError) -> [RequestRecord] {
        var out: [RequestRecord] = []
        for from in stride(from: 0, to: items.count, by: Self.batch) {
            let chunk = items[from..<min(from + Self.batch, items.count)]
            let ids = try store.addRequests(chunk.map(\.spec), at: at, by: by)
            out += try record(zip(ids, chunk).map { id, item in
                PendingRequest(id: id, spec: item.spec, verdict: item.malformed.map {
                    RequestResolution(request: id, files: [], dependents: [], state: .fault, fault: RequestFault.malformed, message: $0)
                })
            }, at: at, by: by)
        }
        return out
    }

    /// Requests resolved in one transaction at most: a scan waiting to write waits a fraction
    /// of a second, however many rows a request file has.
    static let batch = 1_000

    /// Checks each request against its context (looked up once each), then has the store
    /// select and record them, `batch` to a transaction.
    private func record(_ all: [PendingRequest], at: Instant, by: String) throws(CatalogError) -> [RequestRecord] {
        var out: [RequestRecord] = []
        for from in stride(from: 0, to: all.count, by: Self.batch) {
            out += try recordBatch(Array(all[from..<min(from + Self.batch, all.count)]), at: at, by: by)
        }
        return out
    }

    /// One transaction's worth of `record`.
    private func recordBatch(_ pending: [PendingRequest], at: Instant, by: String) throws(CatalogError) -> [RequestRecord] {
        guard !pending.isEmpty else { return [] }
        var contexts: [String: PolicyContext?] = [:]
        var checked: [PendingRequest] = []
        for var p in pending {
            if p.verdict == nil {
                let context: PolicyContext?
                if let known = contexts[p.spec.context] { context = known } else {
                    context = try store.policyContext(p.spec.context)
                    contexts[p.spec.context] = context
                }
                p.verdict = try check(p.id, p.spec, context: context)
            }
            checked.append(p)
        }
        var commands: [String: Set<String>] = [:]
        _ = try store.resolveRequests(checked, at: at, by: by) { p, files in
            let c = commands[p.spec.context] ?? updatable(p.spec.context)
            commands[p.spec.context] = c
            return classify(p.id, p.spec, files, commands: c)
        }
        return try store.requests(ids: pending.map(\.id))
    }

    /// What resolving `request` finds, without recording it.
    public func decide(_ request: RequestRecord) throws(CatalogError) -> RequestResolution {
        if let fault = try check(request.id, request.spec, context: try store.policyContext(request.spec.context)) { return fault }
        return classify(request.id, request.spec, try store.selectFiles(request.spec), commands: updatable(request.spec.context))
    }

    /// The fault of a request that is malformed for its context (`context` nil: the catalog
    /// has no such context); nil when its files are to be read.
    func check(_ id: Int64, _ spec: RequestSpec, context: PolicyContext?) throws(CatalogError) -> RequestResolution? {
        func fault(_ message: String) -> RequestResolution {
            RequestResolution(request: id, files: [], dependents: [], state: .fault, fault: RequestFault.malformed, message: message)
        }
        if let b = spec.window.begin, let e = spec.window.end, e < b {
            return fault("its window ends (\(e.iso8601)) before it begins (\(b.iso8601))")
        }
        if spec.categories.isEmpty { return fault("it names no category") }
        guard let context else {
            let known = try store.contextNames()
            return fault("the catalog has no context '\(spec.context)'"
                + (known.isEmpty ? " (it holds none yet: run `tidemark scan` first)" : "; it holds \(known.joined(separator: ", "))"))
        }
        for c in spec.categories where !context.categories.contains(c) {
            return fault("unknown category '\(c)' in context \(spec.context); the catalog holds: "
                + context.categories.sorted().joined(separator: ", "))
        }
        return nil
    }

    /// What the files a request selects make of it: ready, waiting for dependents (purged
    /// files of categories in `commands`), or faulted by a file that cannot come back.
    func classify(_ id: Int64, _ spec: RequestSpec, _ files: [RequestedFile], commands: Set<String>) -> RequestResolution {
        guard !files.isEmpty else {
            return RequestResolution(request: id, files: [], dependents: [], state: .fault, fault: RequestFault.empty,
                                     message: "no catalogued \(spec.categories.joined(separator: "/")) file"
                                        + (spec.stream.map { " of stream \($0)" } ?? "") + " overlaps \(Self.windowText(spec.window))")
        }
        var dependents: [(file: Int64, need: Coverage?)] = []
        var lost: [RequestedFile] = []
        for f in files where f.state != .live {
            if f.state == .purged && commands.contains(f.category) {
                dependents.append((f.id, f.coverage))
            } else {
                lost.append(f)
            }
        }
        if let first = lost.first {
            let why = first.state == .purged ? "purged, and category \(first.category) has no update command" : first.state.name
            let when = [first.goneAt.map { "on \($0.iso8601)" }, first.goneBy.map { "by \($0)" }].compactMap { $0 }.joined(separator: " ")
            let more = lost.count > 1 ? " (and \(lost.count - 1) more file\(lost.count == 2 ? "" : "s") that cannot come back)" : ""
            return RequestResolution(request: id, files: files.map(\.id), dependents: [], state: .fault, fault: RequestFault.gone,
                                     message: "needs \(first.path.displayPath), which cannot come back: \(why)\(when.isEmpty ? "" : " \(when)")\(more)")
        }
        return RequestResolution(request: id, files: files.map(\.id), dependents: dependents, state: .run, fault: nil,
                                 message: dependents.isEmpty ? nil : "waits for \(dependents.count) purged file\(dependents.count == 1 ? "" : "s") to be regenerated")
    }

    /// `[BEGIN, END)` with open ends shown as such.
    static func windowText(_ w: TimeWindow) -> String {
        "[\(w.begin?.iso8601 ?? "the beginning"), \(w.end?.iso8601 ?? "the end"))"
    }
}
