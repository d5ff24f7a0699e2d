/// Age-off's `require_copy_on`: a dataset may go only when its copy on every named host is
/// full and verified. The planner asks it of each dataset it would choose, and the executor
/// again just before removing, from the copies as the catalog holds them then.
public struct CopyRequirement: Sendable {
    /// The hosts that must each hold a full, verified copy.
    public let hosts: [String]
    /// The copies of the datasets concerned on those hosts, by dataset and host.
    private let copies: [Int64: [String: CopyRecord]]

    /// The requirement for `hosts`, read from `store` for `datasets` (nil: every dataset).
    public init(hosts: [String], store: any CopyStore, datasets: [Int64]? = nil) throws(CatalogError) {
        self.hosts = hosts
        var copies: [Int64: [String: CopyRecord]] = [:]
        for c in try store.copies(CopyFilter(hosts: hosts, datasets: datasets)) { copies[c.dataset, default: [:]][c.host] = c }
        self.copies = copies
    }

    /// The requirement where the catalog keeps no copies: no dataset has one.
    public static func none(_ hosts: [String]) -> CopyRequirement { CopyRequirement(hosts: hosts, copies: [:]) }

    private init(hosts: [String], copies: [Int64: [String: CopyRecord]]) { self.hosts = hosts; self.copies = copies }

    /// Why `dataset` may not go (nil: it may): "no copy on backup1", "copy on backup1 is
    /// fault 2 (system)"; a file outside any dataset has no copy.
    public func refusal(dataset: Int64?) -> String? {
        guard let dataset else { return "it is not part of a dataset, and only datasets are copied" }
        let why = hosts.compactMap { host -> String? in
            guard let c = copies[dataset]?[host] else { return "no copy on \(host)" }
            switch c.state {
            case .full: return c.verified ? nil : "copy on \(host) is full but not verified"
            case .fault: return "copy on \(host) is fault \(c.fault?.rawValue ?? 1) (\(c.fault?.name ?? "unknown"))"
            case .new: return "copy on \(host) is queued (new), not yet made"
            case .run: return "copy on \(host) is being made (run)"
            }
        }
        return why.isEmpty ? nil : why.joined(separator: "; ")
    }
}
