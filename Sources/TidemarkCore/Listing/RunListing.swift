/// A scan or a policy run as `/api/runs` lists it (newest first): `kind` says which, and
/// the keys of the other kind are null.
public struct RunListing: Sendable, Encodable {
    /// `scan` or `policy`.
    public let kind: String
    public let id: Int64, context: String, policy: String?, started: Instant, finished: Instant?, status: String
    /// A scan's files and errors.
    public let files: Int?, errors: Int?
    /// A policy run's actions planned, done, skipped and failed, and the bytes it freed.
    public let planned: Int?, done: Int?, skipped: Int?, failed: Int?, bytes: Int64?

    /// A scan.
    public init(_ s: ScanRecord) {
        kind = "scan"; id = s.id; context = s.context; policy = nil; started = s.started; finished = s.finished; status = s.status.rawValue
        files = s.files; errors = s.errors; planned = nil; done = nil; skipped = nil; failed = nil; bytes = nil
    }

    /// A policy run.
    public init(_ r: PolicyRunRecord) {
        kind = "policy"; id = r.id; context = r.context; policy = r.policy; started = r.started; finished = r.finished; status = r.status.rawValue
        files = nil; errors = nil; planned = r.planned; done = r.done; skipped = r.skipped; failed = r.failed; bytes = r.bytes
    }

    /// Scans and policy runs together, newest first (by start; scans before runs on a tie).
    public static func merged(scans: [ScanRecord], runs: [PolicyRunRecord]) -> [RunListing] {
        (scans.map(RunListing.init) + runs.map(RunListing.init)).enumerated()
            .sorted { $0.element.started != $1.element.started ? $0.element.started > $1.element.started : $0.offset < $1.offset }
            .map(\.element)
    }

    private enum CodingKeys: String, CodingKey { case kind, id, context, policy, started, finished, status, files, errors, planned, done, skipped, failed, bytes }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind); try c.encode(id, forKey: .id); try c.encode(context, forKey: .context)
        try c.encode(policy, forKey: .policy); try c.encode(started.iso8601, forKey: .started); try c.encode(finished?.iso8601, forKey: .finished)
        try c.encode(status, forKey: .status); try c.encode(files, forKey: .files); try c.encode(errors, forKey: .errors)
        try c.encode(planned, forKey: .planned); try c.encode(done, forKey: .done); try c.encode(skipped, forKey: .skipped)
        try c.encode(failed, forKey: .failed); try c.encode(bytes, forKey: .bytes)
    }
}
