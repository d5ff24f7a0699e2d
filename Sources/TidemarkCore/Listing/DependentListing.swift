/// A dependent as `dependent list --json` and `/api/dependents` show it: every key, null when it
/// has no value.
public struct DependentListing: Sendable, EncodesNulls {
    public let id: Int64, path: String, path_bytes: String?, context: String, category: String, stream: String, start: String?, end: String?
    public let state: String, fault: Int?, fault_name: String?, requests: [Int64], message: String?, file_state: String, claimer: String?
    public let attempts: Int, created: String, changed: String

    /// The dependent as the catalog holds it.
    public init(_ d: DependentRecord) {
        id = d.id; path = d.file.path.displayPath; path_bytes = d.file.path.isPlainText ? nil : d.file.path.hexBytes; context = d.context
        category = d.file.category; stream = d.file.stream; start = d.need?.start.iso8601; end = d.need?.end.iso8601
        state = d.state.rawValue; fault = d.fault; fault_name = d.fault.map(RequestFault.name); requests = d.requests; message = d.message
        file_state = d.file.state.name; claimer = d.claimer; attempts = d.attempts; created = d.created.iso8601; changed = d.changed.iso8601
    }

    public func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}
