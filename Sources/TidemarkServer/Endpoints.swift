import Foundation
import TidemarkCore

/// One JSON endpoint: its path, what it answers, the parameters it takes and the schema of
/// its answer (for the OpenAPI document), and the store call that makes the answer.
struct Endpoint: Sendable {
    var path: String
    var summary: String
    var parameters: [Parameter]
    /// The answer's schema: a component's name, and whether the answer is a list of them
    /// (then paged with `limit`/`after`).
    var schema: String
    var isList: Bool
    var answer: @Sendable (QueryParameters, ServedCatalog) throws -> Answer

    /// A paged list of `schema` objects.
    static func list(_ path: String, _ summary: String, _ schema: String, _ parameters: [Parameter],
                     _ answer: @escaping @Sendable (QueryParameters, ServedCatalog) throws -> Answer) -> Endpoint {
        Endpoint(path: path, summary: summary, parameters: parameters + Paging.parameters, schema: schema, isList: true, answer: answer)
    }

    /// One `schema` object.
    static func object(_ path: String, _ summary: String, _ schema: String, _ parameters: [Parameter],
                       _ answer: @escaping @Sendable (QueryParameters, ServedCatalog) throws -> Answer) -> Endpoint {
        Endpoint(path: path, summary: summary, parameters: parameters, schema: schema, isList: false, answer: answer)
    }
}

/// The API: each endpoint a line and a store call, answering the objects of the CLI's `--json`.
enum Endpoints {
    static let all: [Endpoint] = [
        .list("/api/covers", "Files whose coverage overlaps an instant or a range (`tidemark covers --json`).", "CatalogEntry", coversParameters) { q, c in
            var query = CoversQuery(window: try coversWindow(q))
            (query.context, query.categories, query.stream) = (q.string("context"), q.strings("category"), q.string("stream"))
            query.includeGone = try q.boolean("include_gone")
            return try Paging.page(q) { n in query.limit = n; return try c.store.covers(query) }
        },
        .list("/api/find", "Catalogued files by context, category, stream, time and state (`tidemark find --json`).", "CatalogEntry", findParameters) { q, c in
            var query = FindQuery()
            (query.context, query.categories, query.stream) = (q.string("context"), q.strings("category"), q.string("stream"))
            let window = try window(q)
            (query.from, query.to) = (window.begin, window.end)
            query.states = try states(q)
            return try Paging.page(q) { n in query.limit = n; return try c.store.find(query) }
        },
        .list("/api/coverage", "Covered intervals, gaps and the fraction covered per stream or category (`tidemark coverage --json`).", "CoverageRow",
              coverageParameters) { q, c in
            let query = try coverageQuery(q)
            return try Paging.page(q) { _ in try c.store.coverage(query) }
        },
        .list("/api/report", "Files, bytes, oldest and newest coverage by context, category, stream or month (`tidemark report --json`).", "ReportRow",
              [Parameter(name: "by", kind: .choice(ReportQuery.Grouping.allCases.map(\.rawValue)), summary: "Group by (default category)."),
               .context(), .category(), .stream()]) { q, c in
            var query = ReportQuery()
            query.by = ReportQuery.Grouping(rawValue: try q.choice("by", ReportQuery.Grouping.allCases.map(\.rawValue), default: "category"))!
            (query.context, query.categories, query.stream) = (q.string("context"), q.strings("category"), q.string("stream"))
            return try Paging.page(q) { _ in try c.store.report(query) }
        },
        .list("/api/datasets", "Datasets with their states (`tidemark dataset list --json`).", "Dataset",
              [.context(), .category(), Parameter(name: "state", kind: .text, summary: "Only datasets in this state.")]) { q, c in
            let records = try c.store.datasets(DatasetFilter(context: q.string("context"), categories: q.strings("category")))
            let definitions: [String: ContextDefinition]
            do { definitions = try DatasetListing.definitions(for: records, in: c.definitions) } catch {
                throw APIError(status: 500, error: "a context definition cannot be read: \(error)", parameter: nil)
            }
            return try Paging.page(q) { _ in DatasetListing.list(records, definitions: definitions, state: q.string("state")) }
        },
        .list("/api/hosts", "Destination hosts of copies (`tidemark host list --json`).", "Host", []) { q, c in
            let copies = try c.store.copies(CopyFilter()).reduce(into: [String: Int]()) { $0[$1.host, default: 0] += 1 }
            return try Paging.page(q) { _ in try c.store.hosts().map { HostListing($0, copies: copies[$0.host.name] ?? 0) } }
        },
        .list("/api/copies", "Copies of datasets to hosts (`tidemark copy list --json`).", "Copy",
              [Parameter(name: "host", kind: .text, summary: "Only this host's copies."),
               Parameter(name: "state", kind: .choice(CopyState.allCases.map(\.rawValue)), summary: "Only copies in this state.")]) { q, c in
            let filter = CopyFilter(hosts: q.string("host").map { [$0] }, state: try q.state("state", CopyState.self))
            return try Paging.page(q) { _ in try c.store.copies(filter).map(CopyListing.init) }
        },
        .list("/api/requests", "Requests: what windows of data someone needs, and their state (`tidemark request list --json`).", "Request",
              [Parameter(name: "state", kind: .choice(RequestState.allCases.map(\.rawValue)), summary: "Only requests in this state.")]) { q, c in
            let filter = RequestFilter(state: try q.state("state", RequestState.self))
            return try Paging.page(q) { _ in try c.store.requests(filter).map { RequestListing($0) } }
        },
        .list("/api/dependents", "Dependents: purged files that requests need regenerated (`tidemark dependent list --json`).", "Dependent",
              [Parameter(name: "state", kind: .choice(RequestState.allCases.map(\.rawValue)), summary: "Only dependents in this state."),
               Parameter(name: "request", kind: .integer(1...Int.max), summary: "Only those this request needs.")]) { q, c in
            let filter = DependentFilter(state: try q.state("state", RequestState.self), request: try q.integer("request", in: 1...Int.max).map(Int64.init))
            return try Paging.page(q) { _ in try c.store.dependents(filter).map(DependentListing.init) }
        },
        .list("/api/runs", "Scans and policy runs, newest first.", "Run", [.context()]) { q, c in
            try Paging.page(q) { n in
                RunListing.merged(scans: try c.store.lastScans(context: q.string("context"), limit: n),
                                  runs: try c.store.policyRuns(context: q.string("context"), limit: n))
            }
        },
        .list("/api/journal", "Journal entries after entry `since`, oldest first; the next page starts after the last entry's id.", "JournalEntry",
              [Parameter(name: "since", kind: .integer(0...Int.max), summary: "Entries after this entry id (default 0: from the first).")]) { q, c in
            try journal(q, c)
        },
        .object("/api/health", "Whether the catalog can be read, and what it holds.", "Health", []) { _, c in
            try .json(Health(catalog: c.store.path, contexts: try c.store.contextNames(), now: c.now()))
        },
    ]

    /// The endpoint serving `path`, if any.
    static func endpoint(_ path: String) -> Endpoint? { all.first { $0.path == path } }

    // MARK: What more than one endpoint reads

    static let coversParameters: [Parameter] = [
        Parameter(name: "t", kind: .timeOrRange, summary: "An instant, or a half-open range BEGIN,END (either end may be empty)."),
        Parameter(name: "from", kind: .time, summary: "Coverage ending after this time (instead of t)."),
        Parameter(name: "to", kind: .time, summary: "Coverage starting before this time (instead of t)."),
        .context(), .category(), .stream(),
        Parameter(name: "include_gone", kind: .boolean, summary: "Include missing, deleted and purged files."),
    ]

    static let findParameters: [Parameter] = [
        .context(), .category(), .stream(),
        Parameter(name: "from", kind: .time, summary: "Coverage ending after this time."),
        Parameter(name: "to", kind: .time, summary: "Coverage starting before this time."),
        Parameter(name: "state", kind: .choice(["live", "missing", "deleted", "purged", "any"]), summary: "live, missing, deleted, purged or any (repeatable; default live).",
                  repeatable: true),
    ]

    static let coverageParameters: [Parameter] = [
        Parameter(name: "from", kind: .time, summary: "Start of the window.", required: true),
        Parameter(name: "to", kind: .time, summary: "End of the window.", required: true),
        Parameter(name: "by", kind: .choice(CoverageQuery.Grouping.allCases.map(\.rawValue)), summary: "stream (default) or category."),
        Parameter(name: "min_gap", kind: .duration, summary: "Hide gaps shorter than this (10m, 1h)."),
        .context(), .category(), .stream(),
    ]

    /// `t` (an instant or `BEGIN,END`) or `from`/`to`, as `covers` takes them.
    static func coversWindow(_ q: QueryParameters) throws(APIError) -> TimeWindow {
        if let t = q.string("t") {
            if q.string("from") != nil || q.string("to") != nil { throw .badParameter("t", "give t or from/to, not both") }
            do {
                let range = try TimeArgument.parseRange(t, now: q.now)
                return try TimeArgument.window(from: range.begin, to: range.end)
            } catch { throw .badParameter("t", "\(error)") }
        }
        guard q.string("from") != nil || q.string("to") != nil else { throw .badParameter("t", "required: an instant or BEGIN,END (or from/to)") }
        return try window(q)
    }

    /// `from`/`to` as a window; one that ends before it begins is refused.
    static func window(_ q: QueryParameters) throws(APIError) -> TimeWindow {
        let from = try q.time("from"), to = try q.time("to")
        do { return try TimeArgument.window(from: from, to: to) } catch { throw .badParameter("to", "\(error)") }
    }

    /// `state` of `find`: live when absent, every state for `any`.
    static func states(_ q: QueryParameters) throws(APIError) -> [FileState] {
        let names = q.strings("state")
        if names.isEmpty { return [.live] }
        if names.contains("any") { return [] }
        return try names.map { (s: String) throws(APIError) -> FileState in
            guard let st = FileState(name: s) else { throw .badParameter("state", "'\(s)' is not live, missing, deleted, purged or any") }
            return st
        }
    }

    /// The `coverage` query of `from`, `to`, `by`, `min_gap` and the filters.
    static func coverageQuery(_ q: QueryParameters) throws(APIError) -> CoverageQuery {
        guard let from = try q.time("from") else { throw .badParameter("from", "required") }
        guard let to = try q.time("to") else { throw .badParameter("to", "required") }
        do { _ = try TimeArgument.window(from: from, to: to) } catch { throw .badParameter("to", "\(error)") }
        guard to > from else { throw .badParameter("to", "must be after from") }
        var query = CoverageQuery(from: from, to: to)
        query.by = CoverageQuery.Grouping(rawValue: try q.choice("by", CoverageQuery.Grouping.allCases.map(\.rawValue), default: "stream"))!
        query.minGap = try q.duration("min_gap") ?? 0
        (query.context, query.categories, query.stream) = (q.string("context"), q.strings("category"), q.string("stream"))
        return query
    }

    /// Journal entries after `after` (the cursor: an entry id), else after `since`.
    static func journal(_ q: QueryParameters, _ c: ServedCatalog) throws -> Answer {
        let limit = try q.integer("limit", in: 0...Paging.maxLimit) ?? Paging.defaultLimit
        let since = Int64(try q.integer("after", in: 0...Int.max) ?? q.integer("since", in: 0...Int.max) ?? 0)
        let entries = try c.store.journal(since: since, limit: limit + 1)
        let page = entries.prefix(limit)
        return try .json(page.map(JournalListing.init), next: entries.count > limit ? page.last.map { String($0.id) } : nil)
    }
}

/// `/api/health`: the catalog answers, and what it holds.
struct Health: Encodable {
    var status = "ok"
    var catalog: String
    var contexts: [String]
    var now: Instant

    private enum CodingKeys: String, CodingKey { case status, catalog, contexts, now }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status); try c.encode(catalog, forKey: .catalog); try c.encode(contexts, forKey: .contexts)
        try c.encode(now.iso8601, forKey: .now)
    }
}
