/// A copy as `copy list --json` (and `drop`, `revert`) and `/api/copies` show it: every key,
/// null when it has no value (scripts read `fault`, `epoch`, … on every copy).
public struct CopyListing: Sendable, EncodesNulls {
    public let id: Int64, dataset: String, context: String, category: String, host: String, path: String, path_bytes: String?
    public let state: String, fault: Int?, fault_name: String?, bytes: Int64, epoch: String?, dtime: Double?, attempts: Int
    public let message: String?, verified: Bool, queued: String, claimer: String?, lease_until: String?

    /// The copy as the catalog holds it.
    public init(_ c: CopyRecord) {
        id = c.id; dataset = c.datasetName; context = c.context; category = c.category; host = c.host
        path = c.path.displayPath; path_bytes = c.path.isPlainText ? nil : c.path.hexBytes
        state = c.state.rawValue; fault = c.fault?.rawValue; fault_name = c.fault?.name; bytes = c.bytes; epoch = c.epoch?.iso8601
        dtime = c.dtime; attempts = c.attempts; message = c.message; verified = c.verified; queued = c.queued.iso8601
        claimer = c.claimer; lease_until = c.leaseUntil?.iso8601
    }

    public func encode(to encoder: any Encoder) throws { try encodeWithNulls(to: encoder) }
}
