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
        let r = try decide(request)
        _ = try store.recordResolution(r, at: at, by: by)
        return try store.requests(RequestFilter(id: request.id)).first ?? request
    }

    /// Resolves every `new` request, oldest first; returns them as they are now.
    public func resolveNew(at: Instant, by: String) throws(CatalogError) -> [RequestRecord] {
        try store.requests(RequestFilter(state: .new)).map { r throws(CatalogError) in try resolve(r, at: at, by: by) }
    }

    /// What resolving `request` finds, without recording it.
    public func decide(_ request: RequestRecord) throws(CatalogError) -> RequestResolution {
        let spec = request.spec
        func fault(_ code: Int, _ message: String) -> RequestResolution {
            RequestResolution(request: request.id, files: [], dependents: [], state: .fault, fault: code, message: message)
        }
        if let b = spec.window.begin, let e = spec.window.end, e < b {
            return fault(RequestFault.malformed, "its window ends (\(e.iso8601)) before it begins (\(b.iso8601))")
        }
        if spec.categories.isEmpty { return fault(RequestFault.malformed, "it names no category") }
        guard let context = try store.policyContext(spec.context) else {
            let known = try store.contextNames()
            return fault(RequestFault.malformed, "the catalog has no context '\(spec.context)'"
                + (known.isEmpty ? " (it holds none yet: run `tidemark scan` first)" : "; it holds \(known.joined(separator: ", "))"))
        }
        for c in spec.categories where !context.categories.contains(c) {
            return fault(RequestFault.malformed, "unknown category '\(c)' in context \(spec.context); the catalog holds: "
                + context.categories.sorted().joined(separator: ", "))
        }
        let files = try store.selectFiles(spec)
        guard !files.isEmpty else {
            return fault(RequestFault.empty, "no catalogued \(spec.categories.joined(separator: "/")) file"
                + (spec.stream.map { " of stream \($0)" } ?? "") + " overlaps \(Self.windowText(spec.window))")
        }
        let commands = updatable(spec.context)
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
            var r = fault(RequestFault.gone, "needs \(first.path.displayPath), which cannot come back: \(why)\(when.isEmpty ? "" : " \(when)")\(more)")
            r.files = files.map(\.id)
            return r
        }
        return RequestResolution(request: request.id, files: files.map(\.id), dependents: dependents, state: .run, fault: nil,
                                 message: dependents.isEmpty ? nil : "waits for \(dependents.count) purged file\(dependents.count == 1 ? "" : "s") to be regenerated")
    }

    /// `[BEGIN, END)` with open ends shown as such.
    static func windowText(_ w: TimeWindow) -> String {
        "[\(w.begin?.iso8601 ?? "the beginning"), \(w.end?.iso8601 ?? "the end"))"
    }
}
