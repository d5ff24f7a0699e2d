/// A request as `request list|show|add --json` and `/api/requests` show it: every key, null
/// when it has no value (`file_list` when its files were not asked for).
public struct RequestListing: Sendable, EncodesNulls {
    public let id: Int64, state: String, fault: Int?, fault_name: String?, label: String?, priority: Int, context: String, categories: [String]
    public let stream: String?, start: String?, end: String?, files: Int, ready: Int, dependents: Int, message: String?
    public let created: String, changed: String, finished: String?, pinned_until: String?, source: String?
    public let file_list: [File]?

    /// The request, with the files it needs when `list` is given.
    public init(_ r: RequestRecord, files list: [RequestedFile]? = nil) {
        id = r.id; state = r.state.rawValue; fault = r.fault; fault_name = r.fault.map(RequestFault.name); label = r.spec.label
        priority = r.spec.priority; context = r.spec.context; categories = r.spec.categories; stream = r.spec.stream
        start = r.spec.window.begin?.iso8601; end = r.spec.window.end?.iso8601; files = r.files; ready = r.ready; dependents = r.dependents
        message = r.message; created = r.created.iso8601; changed = r.changed.iso8601; finished = r.finished?.iso8601
        pinned_until = r.pinnedUntil?.iso8601; source = r.spec.source; file_list = list?.map(File.init)
    }

    public func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }

    /// A file the request needs, and its dependent when it was purged.
    public struct File: Sendable, EncodesNulls {
        public let path: String, category: String, stream: String, start: String?, end: String?, state: String, gone_at: String?, gone_by: String?
        public let dependent: Int64?, dependent_state: String?

        /// The file as the catalog holds it.
        public init(_ f: RequestedFile) {
            path = f.path.displayPath; category = f.category; stream = f.stream; start = f.coverage?.start.iso8601; end = f.coverage?.end.iso8601
            state = f.state.name; gone_at = f.goneAt?.iso8601; gone_by = f.goneBy; dependent = f.dependent; dependent_state = f.dependentState?.rawValue
        }

        public func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
    }
}
